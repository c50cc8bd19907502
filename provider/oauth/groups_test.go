package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// groupsClient is a first-party client registered with the groups scope.
var groupsClient = testClient{"grp", "grp-secret-0123456789abcdefghijklmnopqrstuv", appRedirect, false}

func (h *harness) addGroupsClient() {
	h.t.Helper()
	now := h.clock.Now()
	h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{
		ID: groupsClient.id, SecretHash: randtoken.Hash(groupsClient.secret), Name: "Groups", FirstParty: true,
		RedirectURIs: []string{appRedirect}, GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"},
		Scopes:        []string{"openid", "profile", "email", "offline_access", "groups"},
		ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now,
	}))
}

// groupsTokens signs userID in to org with scope and redeems the code.
func (h *harness) groupsTokens(userID, org, scope string) map[string]any {
	h.t.Helper()
	code, verifier := h.codeFor(h.agent(), groupsClient, url.Values{"scope": {scope}}, loginAs(userID, org))
	resp, body := h.token(groupsClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {groupsClient.redirect}, "code_verifier": {verifier}})
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
	}
	return body
}

func (h *harness) bearerUserinfo(accessToken string) map[string]any {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	h.must("userinfo", err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("userinfo: %d", resp.StatusCode)
	}
	out := map[string]any{}
	h.must("decode userinfo", json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// TestGroupsScope: with the groups scope the ID token, the RFC 9068 access
// token (§2.2.3.1 groups), introspection and userinfo list every
// membership as org_id:role, and org_roles the active organization's role;
// a refresh after a role change shows the new role (the claims are
// evaluated again, as org_role is). preferred_username (OIDC Core §5.1)
// comes with profile.
func TestGroupsScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addGroupsClient()
	tok := h.groupsTokens("u2", "o2", "openid profile email offline_access groups")

	wantGroups := []string{"o1:member", "o2:owner"}
	check := func(what string, c map[string]any, groups, roles []string) {
		t.Helper()
		if got := anyStrings(c["groups"]); !slices.Equal(got, groups) {
			t.Errorf("%s: groups = %v, want %v", what, c["groups"], groups)
		}
		if got := anyStrings(c["org_roles"]); !slices.Equal(got, roles) {
			t.Errorf("%s: org_roles = %v, want %v", what, c["org_roles"], roles)
		}
	}
	_, id := h.accessClaims(str(tok, "id_token"))
	_, at := h.accessClaims(str(tok, "access_token"))
	ui := h.bearerUserinfo(str(tok, "access_token"))
	check("ID token", id, wantGroups, []string{"owner"})
	check("access token", at, wantGroups, []string{"owner"})
	check("userinfo", ui, wantGroups, []string{"owner"})
	check("introspection", h.introspect(str(tok, "access_token")), wantGroups, []string{"owner"})
	for what, c := range map[string]map[string]any{"ID token": id, "userinfo": ui} {
		if c["preferred_username"] != "bob@example.com" || c["updated_at"] == nil {
			t.Errorf("%s: preferred_username %v, updated_at %v", what, c["preferred_username"], c["updated_at"])
		}
	}
	if at["preferred_username"] != nil {
		t.Errorf("access token carries preferred_username: %v", at)
	}

	// A role change shows on refresh, in both organizations' entries.
	ctx := context.Background()
	h.must("UpdateMembershipRole", h.store.UpdateMembershipRole(ctx, "o2", "u2", "admin"))
	h.must("UpdateMembershipRole", h.store.UpdateMembershipRole(ctx, "o1", "u2", "owner"))
	resp, ref := h.refresh(groupsClient, str(tok, "refresh_token"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, ref)
	}
	wantGroups = []string{"o1:owner", "o2:admin"}
	_, id = h.accessClaims(str(ref, "id_token"))
	_, at = h.accessClaims(str(ref, "access_token"))
	check("refreshed ID token", id, wantGroups, []string{"admin"})
	check("refreshed access token", at, wantGroups, []string{"admin"})
	check("userinfo after refresh", h.bearerUserinfo(str(ref, "access_token")), wantGroups, []string{"admin"})

	// Leaving an organization drops its entry at the next refresh.
	h.must("DeleteMembership", h.store.DeleteMembership(ctx, "o1", "u2"))
	_, ref = h.refresh(groupsClient, str(ref, "refresh_token"))
	_, id = h.accessClaims(str(ref, "id_token"))
	check("ID token after leaving o1", id, []string{"o2:admin"}, []string{"admin"})
}

// TestGroupsScopeAbsent: without the groups scope no token or userinfo
// answer carries groups or org_roles; without profile no
// preferred_username.
func TestGroupsScopeAbsent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addGroupsClient()
	tok := h.groupsTokens("u2", "o2", "openid email offline_access")
	_, ref := h.refresh(groupsClient, str(tok, "refresh_token"))
	for what, c := range map[string]map[string]any{
		"ID token":               claimsOf(h, str(tok, "id_token")),
		"access token":           claimsOf(h, str(tok, "access_token")),
		"refreshed ID token":     claimsOf(h, str(ref, "id_token")),
		"refreshed access token": claimsOf(h, str(ref, "access_token")),
		"userinfo":               h.bearerUserinfo(str(ref, "access_token")),
		"introspection":          h.introspect(str(ref, "access_token")),
	} {
		for _, claim := range []string{"groups", "org_roles", "preferred_username"} {
			if _, ok := c[claim]; ok {
				t.Errorf("%s carries %s without its scope: %v", what, claim, c)
			}
		}
		if what != "access token" && what != "refreshed access token" && what != "introspection" && c["org_role"] != "owner" {
			t.Errorf("%s: org_role %v, want owner", what, c["org_role"])
		}
	}
}

// TestGroupsScopeNoOrganization: a user in no organization gets an empty
// groups list and no org_roles.
func TestGroupsScopeNoOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addGroupsClient()
	now := h.clock.Now()
	h.must("CreateUser", h.store.CreateUser(context.Background(), storage.User{ID: "u3", Email: "carol@example.com",
		CreatedAt: now, UpdatedAt: now}))
	tok := h.groupsTokens("u3", "", "openid groups")
	for what, c := range map[string]map[string]any{
		"ID token": claimsOf(h, str(tok, "id_token")), "access token": claimsOf(h, str(tok, "access_token")),
		"userinfo": h.bearerUserinfo(str(tok, "access_token")),
	} {
		if g, ok := c["groups"].([]any); !ok || len(g) != 0 {
			t.Errorf("%s: groups = %#v, want []", what, c["groups"])
		}
		if _, ok := c["org_roles"]; ok {
			t.Errorf("%s: org_roles without an organization: %v", what, c)
		}
	}
}

// TestGroupsScopeRefused: a client not registered with groups is refused
// it (RFC 6749 §3.3, invalid_scope), and client_credentials never grants it
// (there is no user whose groups they would be).
func TestGroupsScopeRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addGroupsClient()
	a := h.agent()
	a.signIn("u1", "")
	loc, _ := a.follow(h.authURL(appClient, s256(randtoken.New()+"x"), url.Values{"scope": {"openid groups"}}), noPages)
	if loc.Query().Get("error") != "invalid_scope" {
		t.Fatalf("groups for a client without it: %s", loc)
	}
	resp, cc := h.token(groupsClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"groups"}})
	if resp.StatusCode == http.StatusOK {
		if _, at := h.accessClaims(str(cc, "access_token")); at["groups"] != nil || str(cc, "scope") == "groups" {
			t.Fatalf("client_credentials granted groups: %v %v", cc, at)
		}
	}
}

func claimsOf(h *harness, token string) map[string]any {
	h.t.Helper()
	_, c := h.accessClaims(token)
	return c
}

// TestGroupsScopeDeviceGrant: the device grant (RFC 8628) carries groups
// like the code flow.
func TestGroupsScopeDeviceGrant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := h.clock.Now()
	dev := testClient{"grp-tv", "", "", false}
	h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{ID: dev.id, Name: "TV", Public: true,
		GrantTypes: []string{GrantTypeDeviceCode}, TokenEndpointAuthMethod: "none",
		Scopes: []string{"openid", "profile", "groups"}, CreatedAt: now, UpdatedAt: now}))
	tok := h.approvedTokens(dev, "openid profile groups", "u1")
	for what, c := range map[string]map[string]any{
		"ID token": claimsOf(h, str(tok, "id_token")), "access token": claimsOf(h, str(tok, "access_token")),
	} {
		if got := anyStrings(c["groups"]); !slices.Equal(got, []string{"o1:admin"}) {
			t.Errorf("%s: groups = %v", what, c["groups"])
		}
	}
}
