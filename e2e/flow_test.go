package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestBrowserFlowSQLite(t *testing.T)   { browserFlow(t, "sqlite") }
func TestBrowserFlowPostgres(t *testing.T) { browserFlow(t, "postgres") }

const adaPassword = "correct horse battery staple"

// browserFlow is the life of a sign-in as a third-party web app sees it:
// headless Chromium through the real pages (login, organization picker,
// consent), code + PKCE exchanged by x/oauth2, the ID token verified by
// go-oidc through discovery and the JWKS, then userinfo, refresh rotation,
// reuse detection, introspection after revocation, logout and prompt=none.
func browserFlow(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)

	ada, acme, _ := adaInTwoOrgs(srv)
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "Third Party App",
		"--redirect-uri", rp.srv.URL+"/callback", "--post-logout-redirect-uri", rp.srv.URL+"/logged-out",
		"--backchannel-logout-uri", rp.srv.URL+"/backchannel-logout")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])

	ctx := newBrowser(t)

	// Sign in: login page, organization picker (two memberships), consent
	// (a third-party client).
	do(t, ctx,
		chromedp.Navigate(rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="org_id"]`)),
	)
	if text := bodyText(t, ctx); !strings.Contains(text, "Acme") || !strings.Contains(text, "Beta") {
		t.Fatalf("organization picker does not list both organizations:\n%s", text)
	}
	pickOrganization(t, ctx, acme["id"])
	if text := bodyText(t, ctx); !strings.Contains(text, "Third Party App") {
		t.Fatalf("consent page does not name the client:\n%s", text)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	waitText(t, ctx, "RP: signed in")
	res := rp.result()

	// The ID token carries the chosen organization and the user's role.
	c := res.Claims
	if c["org_id"] != acme["id"] || c["org_name"] != "Acme" || c["org_role"] != "admin" {
		t.Fatalf("organization claims: %v", c)
	}
	if c["sub"] != ada["id"] || c["email"] != "ada@example.com" || c["sid"] == nil || c["auth_time"] == nil {
		t.Fatalf("ID token claims: %v", c)
	}
	if amr, _ := c["amr"].([]any); !slices.Contains(amr, any("pwd")) {
		t.Fatalf("amr = %v, want pwd", c["amr"])
	}

	// The access token is an RFC 9068 JWT a resource server verifies offline
	// against the JWKS.
	keySet := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	payload, err := keySet.VerifySignature(context.Background(), res.Token.AccessToken)
	if err != nil {
		t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
	var at map[string]any
	json.Unmarshal(payload, &at)
	if at["org_role"] != "admin" || at["client_id"] != client["client_id"] || at["iss"] != srv.URL {
		t.Fatalf("access token claims: %v", at)
	}

	// Userinfo (OIDC Core §5.3) with the access token.
	ui, err := rp.Provider.UserInfo(context.Background(), oauth2.StaticTokenSource(res.Token))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var uiClaims map[string]any
	ui.Claims(&uiClaims)
	if ui.Subject != ada["id"] || ui.Email != "ada@example.com" || uiClaims["org_id"] != acme["id"] {
		t.Fatalf("userinfo: %v", uiClaims)
	}

	// Refresh rotates the refresh token.
	first := res.Token.RefreshToken
	second := refresh(t, rp, first)
	if second.RefreshToken == "" || second.RefreshToken == first {
		t.Fatal("refresh did not rotate the refresh token")
	}
	if _, ok := second.Extra("id_token").(string); !ok {
		t.Fatal("refresh returned no ID token")
	}

	// Reusing a rotated refresh token is refused and ends the whole family
	// (RFC 9700 §4.14.2): the newest refresh and access tokens die too.
	third := refresh(t, rp, second.RefreshToken)
	if !introspect(t, rp, srv, third.AccessToken) {
		t.Fatal("fresh access token introspects inactive (RFC 7662)")
	}
	if _, err := tryRefresh(rp, first); !isInvalidGrant(err) {
		t.Fatalf("reused refresh token: err = %v, want invalid_grant", err)
	}
	if _, err := tryRefresh(rp, third.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh token of a revoked family: err = %v, want invalid_grant", err)
	}
	if introspect(t, rp, srv, third.AccessToken) {
		t.Fatal("access token of a revoked family still active")
	}

	// The browser session still stands, consent is remembered and the
	// active organization known: prompt=none signs in silently.
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?prompt=none"))
	waitText(t, ctx, "RP: signed in")
	silent := rp.result()
	if silent.Claims["org_id"] != acme["id"] || silent.Claims["sid"] != c["sid"] {
		t.Fatalf("silent sign-in claims: %v", silent.Claims)
	}
	// Revoking the access token (RFC 7009) makes introspection answer
	// inactive; the grant's refresh token ends with it (§2.1 allows it).
	if !introspect(t, rp, srv, silent.Token.AccessToken) {
		t.Fatal("fresh access token introspects inactive")
	}
	revoke(t, rp, srv, silent.Token.AccessToken)
	if introspect(t, rp, srv, silent.Token.AccessToken) {
		t.Fatal("revoked access token still introspects active")
	}
	if _, err := tryRefresh(rp, silent.Token.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh after revocation: err = %v, want invalid_grant", err)
	}

	// RP-initiated logout with a valid id_token_hint ends the session and
	// returns to the registered post-logout URI with state.
	q := url.Values{
		"id_token_hint":            {res.RawID},
		"post_logout_redirect_uri": {rp.srv.URL + "/logged-out"},
		"state":                    {"bye-bye-state"},
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/oauth2/logout?"+q.Encode()))
	waitText(t, ctx, "RP: logged out")
	if r := rp.result(); !r.LoggedOut || r.State != "bye-bye-state" {
		t.Fatalf("logout return: %+v", r)
	}

	// The client registered for back-channel logout receives a logout token
	// for that session (OpenID Back-Channel Logout 1.0 §2.4), signed by a key
	// in the JWKS.
	select {
	case raw := <-rp.logoutTokens:
		payload, err := keySet.VerifySignature(context.Background(), raw)
		if err != nil {
			t.Fatalf("logout token does not verify: %v", err)
		}
		var lt map[string]any
		json.Unmarshal(payload, &lt)
		events, _ := lt["events"].(map[string]any)
		if lt["sid"] != c["sid"] || lt["sub"] != ada["id"] || lt["aud"] != client["client_id"] || lt["nonce"] != nil ||
			events["http://schemas.openid.net/event/backchannel-logout"] == nil {
			t.Fatalf("logout token claims: %v", lt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no back-channel logout token arrived")
	}

	// Signed out, prompt=none must answer login_required on the redirect
	// (OIDC Core §3.1.2.6), never show a page.
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?prompt=none"))
	waitText(t, ctx, "RP error")
	if r := rp.result(); r.Error != "login_required" {
		t.Fatalf("prompt=none after logout: error %q", r.Error)
	}
}

func tryRefresh(rp *relyingParty, rt string) (*oauth2.Token, error) {
	return rp.Config.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
}

func refresh(t *testing.T, rp *relyingParty, rt string) *oauth2.Token {
	t.Helper()
	tok, err := tryRefresh(rp, rt)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return tok
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// introspect asks the introspection endpoint as the confidential client.
func introspect(t *testing.T, rp *relyingParty, srv *server, token string) bool {
	t.Helper()
	body := postForm(t, rp, srv.URL+"/oauth2/introspect", url.Values{"token": {token}})
	var out struct {
		Active bool `json:"active"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("introspection answer: %v: %s", err, body)
	}
	return out.Active
}

func revoke(t *testing.T, rp *relyingParty, srv *server, token string) {
	t.Helper()
	postForm(t, rp, srv.URL+"/oauth2/revoke", url.Values{"token": {token}})
}

func postForm(t *testing.T, rp *relyingParty, endpoint string, form url.Values) []byte {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.Config.ClientID), url.QueryEscape(rp.Config.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s %v", endpoint, resp.StatusCode, body, err)
	}
	return body
}
