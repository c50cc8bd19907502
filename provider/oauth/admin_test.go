package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// adminFixture lets the app and svc clients ask for ostiary:admin and
// makes u1 (Alice) an instance admin; u2 (Bob, in two organizations) is not.
func adminFixture(h *harness) {
	ctx := context.Background()
	for _, id := range []string{appClient.id, svcClient.id} {
		h.must("client scope", h.store.UpdateClient(ctx, id, func(c storage.Client) (storage.Client, error) {
			c.Scopes = append(c.Scopes, ScopeAdmin)
			return c, nil
		}))
	}
	setAdmin(h, "u1", true)
}

func setAdmin(h *harness, userID string, on bool) {
	h.must("admin flag", h.store.UpdateUser(context.Background(), userID, func(u storage.User) (storage.User, error) {
		u.Admin = on
		return u, nil
	}))
}

func (h *harness) adminCodeTokens(a *agent) map[string]any {
	h.t.Helper()
	code, verifier := h.codeFor(a, appClient, url.Values{"scope": {"openid offline_access " + ScopeAdmin}}, noPages)
	resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {appClient.redirect}, "code_verifier": {verifier}})
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
	}
	return body
}

// TestAdminScopeOnlyForInstanceAdmins: the authorization-code grant leaves
// ostiary:admin out for a user without the flag, grants it to an
// instance admin, and a refresh fails once the flag is gone.
func TestAdminScopeOnlyForInstanceAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	adminFixture(h)
	ctx := t.Context()

	bob := h.agent()
	bob.signIn("u2", "o1")
	tokens := h.adminCodeTokens(bob)
	if scopes := strings.Fields(str(tokens, "scope")); slices.Contains(scopes, ScopeAdmin) || !slices.Contains(scopes, "openid") {
		t.Fatalf("non-admin granted %v", scopes)
	}
	if _, err := h.s.AdminPrincipal(ctx, str(tokens, "access_token")); !errors.Is(err, ErrInsufficientScope) {
		t.Fatalf("non-admin's token: %v, want ErrInsufficientScope", err)
	}

	alice := h.agent()
	alice.signIn("u1", "o1")
	tokens = h.adminCodeTokens(alice)
	if scopes := strings.Fields(str(tokens, "scope")); !slices.Contains(scopes, ScopeAdmin) {
		t.Fatalf("instance admin granted %v", scopes)
	}
	p, err := h.s.AdminPrincipal(ctx, str(tokens, "access_token"))
	if err != nil || !p.User || p.Subject != "u1" {
		t.Fatalf("admin's token: %+v %v", p, err)
	}

	// The flag taken away: the live token no longer works, nor a refresh.
	setAdmin(h, "u1", false)
	if _, err := h.s.AdminPrincipal(ctx, str(tokens, "access_token")); !errors.Is(err, ErrInsufficientScope) {
		t.Fatalf("after the flag was removed: %v", err)
	}
	resp, body := h.refresh(appClient, str(tokens, "refresh_token"))
	wantOAuthError(t, "refresh after the flag was removed", resp, body, http.StatusBadRequest, "invalid_grant")

	// Revoked (deactivated) tokens are refused as not live.
	setAdmin(h, "u1", true)
	tokens = h.adminCodeTokens(alice)
	if _, err := h.s.store.DeactivateTokens(ctx, storage.TokenFilter{Subject: "u1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.AdminPrincipal(ctx, str(tokens, "access_token")); !errors.Is(err, ErrNotAdminToken) {
		t.Fatalf("revoked token: %v, want ErrNotAdminToken", err)
	}
	if _, err := h.s.AdminPrincipal(ctx, str(tokens, "id_token")); !errors.Is(err, ErrNotAdminToken) {
		t.Fatalf("an ID token: %v, want ErrNotAdminToken", err)
	}
}

// TestAdminScopeForClients: client_credentials gets ostiary:admin only
// while the registration lists it.
func TestAdminScopeForClients(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	adminFixture(h)
	ctx := t.Context()
	resp, body := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {ScopeAdmin}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	p, err := h.s.AdminPrincipal(ctx, str(body, "access_token"))
	if err != nil || p.User || p.ClientID != svcClient.id {
		t.Fatalf("client token: %+v %v", p, err)
	}
	h.must("drop scope", h.store.UpdateClient(ctx, svcClient.id, func(c storage.Client) (storage.Client, error) {
		c.Scopes = slices.DeleteFunc(c.Scopes, func(s string) bool { return s == ScopeAdmin })
		return c, nil
	}))
	if _, err := h.s.AdminPrincipal(ctx, str(body, "access_token")); !errors.Is(err, ErrInsufficientScope) {
		t.Fatalf("after the registration lost the scope: %v", err)
	}
	// The token endpoint reads registrations through the client cache, so
	// the change reaches it within ClientCacheTTL.
	h.clock.advance(ClientCacheTTL + time.Second)
	resp, body = h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {ScopeAdmin}})
	wantOAuthError(t, "unregistered admin scope", resp, body, http.StatusBadRequest, "invalid_scope")
}

// TestAdminScopeNotThroughPATs: a personal access token of a user without
// the flag cannot be exchanged for an admin token, even if it lists the
// scope; an instance admin's can.
func TestAdminScopeNotThroughPATs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	setAdmin(h, "u1", true)
	h.must("client scope", h.store.UpdateClient(t.Context(), cliClient.id, func(c storage.Client) (storage.Client, error) {
		c.Scopes = append(c.Scopes, ScopeAdmin)
		return c, nil
	}))
	bobPAT, _ := h.newPAT("u2", []string{"openid", ScopeAdmin}, time.Time{})
	resp, body := h.token(cliClient, exchangeForm(bobPAT, "scope", ScopeAdmin))
	wantOAuthError(t, "non-admin PAT for ostiary:admin", resp, body, http.StatusBadRequest, "invalid_scope")

	alicePAT, _ := h.newPAT("u1", []string{"openid", ScopeAdmin}, time.Time{})
	resp, body = h.token(cliClient, exchangeForm(alicePAT, "scope", ScopeAdmin))
	if resp.StatusCode != http.StatusOK || str(body, "scope") != ScopeAdmin {
		t.Fatalf("admin PAT exchange: %d %v", resp.StatusCode, body)
	}
	if p, err := h.s.AdminPrincipal(t.Context(), str(body, "access_token")); err != nil || p.Subject != "u1" {
		t.Fatalf("admin PAT's token: %+v %v", p, err)
	}
}
