package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestGroupsOAuth2ProxySQLite(t *testing.T)   { groupsOAuth2Proxy(t, "sqlite") }
func TestGroupsOAuth2ProxyPostgres(t *testing.T) { groupsOAuth2Proxy(t, "postgres") }

// groupsOAuth2Proxy is the check oauth2-proxy (and a Kubernetes OIDC
// authenticator) makes: it asks for openid profile email groups, verifies
// the ID token with go-oidc at its defaults, and reads the groups and
// preferred_username claims (--oidc-groups-claim=groups,
// --oidc-email-claim, preferred_username for the user name). The groups
// are organization-id:role; userinfo agrees; a refresh after a role change
// shows the new role; without the groups scope there is no groups claim.
func groupsOAuth2Proxy(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)

	ada, acme, beta := adaInTwoOrgs(srv)
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "Proxy", "--redirect-uri", rp.srv.URL+"/callback",
		"--scope", "openid", "--scope", "profile", "--scope", "email", "--scope", "groups", "--scope", "offline_access")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	rp.Config.Scopes = []string{oidc.ScopeOpenID, "profile", "email", "groups", oidc.ScopeOfflineAccess}

	// Discovery offers the scope and its claims.
	var meta struct {
		Scopes []string `json:"scopes_supported"`
		Claims []string `json:"claims_supported"`
	}
	if err := rp.Provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"groups", "org_roles", "preferred_username", "updated_at"} {
		if !slices.Contains(meta.Claims, c) {
			t.Errorf("claims_supported lacks %s: %v", c, meta.Claims)
		}
	}
	if !slices.Contains(meta.Scopes, "groups") {
		t.Errorf("scopes_supported lacks groups: %v", meta.Scopes)
	}

	ctx := newBrowser(t)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	pickOrganization(t, ctx, acme["id"])
	// The consent page says in plain words what the scope shows.
	if text := bodyText(t, ctx); !strings.Contains(text, "See the organizations you belong to and your role in each") {
		t.Fatalf("consent page does not describe the groups scope:\n%s", text)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	waitText(t, ctx, "RP: signed in")
	res := rp.result()

	wantGroups := sorted(acme["id"]+":admin", beta["id"]+":member")
	checkGroups := func(what string, c map[string]any, groups []string, role string) {
		t.Helper()
		if got := toStrings(c["groups"]); !slices.Equal(got, groups) {
			t.Errorf("%s: groups = %v, want %v", what, c["groups"], groups)
		}
		if got := toStrings(c["org_roles"]); !slices.Equal(got, []string{role}) {
			t.Errorf("%s: org_roles = %v, want [%s]", what, c["org_roles"], role)
		}
	}
	// go-oidc verified the ID token at its defaults in the callback.
	checkGroups("ID token", res.Claims, wantGroups, "admin")
	if res.Claims["preferred_username"] != "ada@example.com" || res.Claims["updated_at"] == nil {
		t.Errorf("ID token: preferred_username %v, updated_at %v", res.Claims["preferred_username"], res.Claims["updated_at"])
	}

	// The RFC 9068 access token carries groups too (§2.2.3.1).
	keySet := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	accessClaims := func(raw string) map[string]any {
		t.Helper()
		payload, err := keySet.VerifySignature(context.Background(), raw)
		if err != nil {
			t.Fatalf("access token does not verify: %v", err)
		}
		out := map[string]any{}
		json.Unmarshal(payload, &out)
		return out
	}
	checkGroups("access token", accessClaims(res.Token.AccessToken), wantGroups, "admin")

	// Userinfo agrees with the ID token.
	userinfo := func(tok *oauth2.Token) map[string]any {
		t.Helper()
		ui, err := rp.Provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		out := map[string]any{}
		ui.Claims(&out)
		return out
	}
	ui := userinfo(res.Token)
	checkGroups("userinfo", ui, wantGroups, "admin")
	if ui["preferred_username"] != "ada@example.com" {
		t.Errorf("userinfo preferred_username = %v", ui["preferred_username"])
	}

	// A role change shows at the next refresh, in the refreshed ID token
	// (verified by go-oidc again) and access token.
	srv.cli("", nil, "orgs", "set-role", "--org", acme["id"], "--user", ada["id"], "--role", "member")
	next := refresh(t, rp, res.Token.RefreshToken)
	raw, _ := next.Extra("id_token").(string)
	idt, err := rp.Provider.Verifier(&oidc.Config{ClientID: client["client_id"]}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	refreshed := map[string]any{}
	idt.Claims(&refreshed)
	wantGroups = sorted(acme["id"]+":member", beta["id"]+":member")
	checkGroups("refreshed ID token", refreshed, wantGroups, "member")
	checkGroups("refreshed access token", accessClaims(next.AccessToken), wantGroups, "member")
	checkGroups("userinfo after refresh", userinfo(next), wantGroups, "member")

	// Without the groups scope (a silent sign-in: consent and organization
	// remembered) no groups claim anywhere.
	rp.Config.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?prompt=none"))
	waitText(t, ctx, "RP: signed in")
	plain := rp.result()
	for what, c := range map[string]map[string]any{
		"ID token": plain.Claims, "access token": accessClaims(plain.Token.AccessToken), "userinfo": userinfo(plain.Token),
	} {
		if _, ok := c["groups"]; ok {
			t.Errorf("%s carries groups without the scope: %v", what, c)
		}
		if _, ok := c["org_roles"]; ok {
			t.Errorf("%s carries org_roles without the scope: %v", what, c)
		}
	}
	if plain.Claims["preferred_username"] != "ada@example.com" || plain.Claims["org_role"] != "member" {
		t.Errorf("ID token without groups: %v", plain.Claims)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// adaInTwoOrgs creates Ada (adaPassword), an admin of Acme and a member of
// Beta.
func adaInTwoOrgs(srv *server) (ada, acme, beta map[string]string) {
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &acme, "orgs", "create", "--name", "Acme")
	srv.cli("", &beta, "orgs", "create", "--name", "Beta")
	srv.cli("", nil, "orgs", "add-member", "--org", acme["id"], "--user", ada["id"], "--role", "admin")
	srv.cli("", nil, "orgs", "add-member", "--org", beta["id"], "--user", ada["id"], "--role", "member")
	return ada, acme, beta
}

// pickOrganization chooses orgID on the organization picker and waits for
// the consent page that follows (a third-party client).
func pickOrganization(t *testing.T, ctx context.Context, orgID string) {
	t.Helper()
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`input[name="org_id"]`)),
		chromedp.Click(chromedp.CSS(`input[name="org_id"][value="`+orgID+`"]`)),
		chromedp.Submit(chromedp.CSS(`input[name="org_id"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)),
	)
}
