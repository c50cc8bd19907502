package oauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// TestRefreshReevaluatesClaims: a refresh reloads the user and their
// membership (docs/architecture.md, "fosite, as we use it": claims): changes show in the new tokens,
// a removed membership or a disabled or deleted user ends the grant.
func TestRefreshReevaluatesClaims(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	a := h.agent()
	a.signIn("u2", "o1")
	tokens := h.tokensFor(a, appClient)
	if _, at := h.accessClaims(str(tokens, "access_token")); at["org_role"] != "member" {
		t.Fatalf("initial role %v", at["org_role"])
	}

	h.must("role", h.store.UpdateMembershipRole(ctx, "o1", "u2", "admin"))
	h.must("org name", h.store.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.Name = "Acme Corp"
		return o, nil
	}))
	h.must("user name", h.store.UpdateUser(ctx, "u2", func(u storage.User) (storage.User, error) {
		u.Name = "Robert"
		return u, nil
	}))
	resp, body := h.refresh(appClient, str(tokens, "refresh_token"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, body)
	}
	if _, at := h.accessClaims(str(body, "access_token")); at["org_role"] != "admin" || at["org_name"] != "Acme Corp" {
		t.Errorf("refreshed access token org claims %v", at)
	}
	if _, id := h.accessClaims(str(body, "id_token")); id["org_role"] != "admin" || id["name"] != "Robert" || id["nonce"] != nil {
		t.Errorf("refreshed ID token claims %v", id)
	}
	if in := h.introspect(str(body, "access_token")); in["org_role"] != "admin" {
		t.Errorf("introspection %v", in)
	}

	h.must("remove membership", h.store.DeleteMembership(ctx, "o1", "u2"))
	resp, body = h.refresh(appClient, str(body, "refresh_token"))
	wantOAuthError(t, "refresh after the membership was removed", resp, body, http.StatusBadRequest, "invalid_grant")

	for _, tc := range []struct {
		name   string
		change func(h *harness)
	}{
		{"disabled user", func(h *harness) {
			h.must("disable", h.store.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
				u.Disabled = true
				return u, nil
			}))
		}},
		{"deleted user", func(h *harness) { h.must("delete", h.store.DeleteUser(ctx, "u1")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.agent()
			b.signIn("u1", "")
			rt := str(h.tokensFor(b, appClient), "refresh_token")
			tc.change(h)
			resp, body := h.refresh(appClient, rt)
			wantOAuthError(t, tc.name, resp, body, http.StatusBadRequest, "invalid_grant")
		})
	}
}

// TestRefreshGracePeriod: with a grace period a rotated refresh token works
// again for a while (tabs refreshing at once); after it, using it is reuse.
// A family revoked during the grace period stays revoked.
func TestRefreshGracePeriod(t *testing.T) {
	t.Parallel()
	grace := func(c *Config) { c.RefreshGracePeriod = 30 * time.Second }
	t.Run("within and after the grace period", func(t *testing.T) {
		h := newHarness(t, grace)
		a := h.agent()
		a.signIn("u1", "")
		rt1 := str(h.tokensFor(a, appClient), "refresh_token")
		resp, second := h.refresh(appClient, rt1)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("first refresh: %v", second)
		}
		resp, third := h.refresh(appClient, rt1)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("second use within the grace period: %d %v", resp.StatusCode, third)
		}
		if str(third, "refresh_token") != str(second, "refresh_token") {
			t.Errorf("second use within the grace period got another refresh token: the family forked")
		}
		h.clock.advance(31 * time.Second)
		resp, body := h.refresh(appClient, rt1)
		wantOAuthError(t, "use after the grace period", resp, body, http.StatusBadRequest, "invalid_grant")
		for _, rt := range []string{str(second, "refresh_token"), str(third, "refresh_token")} {
			resp, body := h.refresh(appClient, rt)
			wantOAuthError(t, "family member after reuse", resp, body, http.StatusBadRequest, "invalid_grant")
		}
	})
	t.Run("revocation is not undone by the grace period", func(t *testing.T) {
		h := newHarness(t, grace)
		a := h.agent()
		a.signIn("u1", "")
		rt1 := str(h.tokensFor(a, appClient), "refresh_token")
		_, second := h.refresh(appClient, rt1)
		resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {str(second, "refresh_token")}}, appClient.id, appClient.secret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		resp, body := h.refresh(appClient, rt1)
		wantOAuthError(t, "rotated token of a revoked family", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("strict rotation without a grace period", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u1", "")
		rt1 := str(h.tokensFor(a, appClient), "refresh_token")
		h.refresh(appClient, rt1)
		resp, body := h.refresh(appClient, rt1)
		wantOAuthError(t, "immediate second use", resp, body, http.StatusBadRequest, "invalid_grant")
	})
}

// TestRefreshFamilyLifetime: rotation slides each token's expiry, but never
// past the family's absolute cap.
func TestRefreshFamilyLifetime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.RefreshFamilyLifetime = time.Hour })
	a := h.agent()
	a.signIn("u1", "")
	rt := str(h.tokensFor(a, appClient), "refresh_token")
	h.clock.advance(40 * time.Minute)
	resp, body := h.refresh(appClient, rt)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh within the family lifetime: %v", body)
	}
	h.clock.advance(21 * time.Minute)
	resp, body = h.refresh(appClient, str(body, "refresh_token"))
	wantOAuthError(t, "refresh past the family lifetime", resp, body, http.StatusBadRequest, "invalid_grant")
}

// TestRefreshNeedsOfflineAccess: no refresh token without offline_access
// (OIDC Core §11).
func TestRefreshNeedsOfflineAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	code, verifier := h.codeFor(a, appClient, url.Values{"scope": {"openid profile"}}, noPages)
	resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}})
	if resp.StatusCode != http.StatusOK || body["refresh_token"] != nil || str(body, "id_token") == "" {
		t.Fatalf("exchange without offline_access: %d %v", resp.StatusCode, body)
	}
}

// TestRefreshOrgRequiresMFA: once a grant's organization requires a second
// factor, a grant signed in without one stops refreshing (invalid_grant,
// "sign in again") and signing in again is sent to set it up; a grant with
// otp in its amr keeps refreshing. The refused grant is not revoked: like
// a disabled user's, it refreshes again once the requirement is off.
func TestRefreshOrgRequiresMFA(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	setRequire := func(on bool) {
		t.Helper()
		h.must("require mfa", h.store.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
			o.RequireMFA = on
			return o, nil
		}))
	}
	amrOf := func(idToken string) []any {
		t.Helper()
		_, id := h.accessClaims(idToken)
		amr, _ := id["amr"].([]any)
		return amr
	}

	pwd := h.agent()
	pwd.signIn("u1", "")
	pwdTokens := h.tokensFor(pwd, appClient)
	otp := h.agent()
	s := otp.signIn("u1", "")
	s.AMR = []string{"pwd", "otp"}
	h.browser.put(s)
	otpTokens := h.tokensFor(otp, appClient)
	if got := amrOf(str(otpTokens, "id_token")); !slices.Equal(got, []any{"pwd", "otp"}) {
		t.Fatalf("ID token amr %v, want [pwd otp]", got)
	}

	setRequire(true)
	for range 2 {
		resp, body := h.refresh(appClient, str(pwdTokens, "refresh_token"))
		wantOAuthError(t, "password-only grant of an organization requiring MFA", resp, body, http.StatusBadRequest, "invalid_grant")
		if d := str(body, "error_description"); !strings.Contains(d, "requires two-factor sign-in; sign in again") {
			t.Errorf("error_description %q does not tell the person to sign in again", d)
		}
	}
	// Signing in again with the same session is sent to set up the factor
	// (decide.go, step b2); the two-step session is not.
	resp := pwd.get(h.authURL(appClient, s256(randtoken.New()+"x"), nil))
	if loc, _ := resp.Location(); loc == nil || loc.Path != PathMFASetup {
		t.Errorf("authorization of the password-only session went to %v, want %s", loc, PathMFASetup)
	}
	rt := str(otpTokens, "refresh_token")
	for range 2 {
		resp, body := h.refresh(appClient, rt)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("two-step grant refresh: %d %v", resp.StatusCode, body)
		}
		if got := amrOf(str(body, "id_token")); !slices.Equal(got, []any{"pwd", "otp"}) {
			t.Errorf("refreshed ID token amr %v, want [pwd otp]", got)
		}
		rt = str(body, "refresh_token")
	}
	h.codeFor(otp, appClient, nil, noPages)

	setRequire(false)
	if resp, body := h.refresh(appClient, str(pwdTokens, "refresh_token")); resp.StatusCode != http.StatusOK {
		t.Fatalf("password-only grant after the requirement was turned off: %d %v", resp.StatusCode, body)
	}
}
