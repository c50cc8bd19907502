package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

func TestDeviceFlowSQLite(t *testing.T)   { deviceFlow(t, "sqlite") }
func TestDeviceFlowPostgres(t *testing.T) { deviceFlow(t, "postgres") }

// newDeviceServer starts a server where Ada (ada@example.com) is an admin
// of Acme and a member of Beta, with a public client called name that may
// use the device code and refresh token grants. It returns the server,
// Ada, Beta and the client as the CLI printed them.
func newDeviceServer(t *testing.T, db, name string) (srv *server, ada, beta, client map[string]string) {
	t.Helper()
	srv = newServer(t, database(t, db))
	srv.start(15 * time.Second)
	var acme map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &acme, "orgs", "create", "--name", "Acme")
	srv.cli("", &beta, "orgs", "create", "--name", "Beta")
	srv.cli("", nil, "orgs", "add-member", "--org", acme["id"], "--user", ada["id"], "--role", "admin")
	srv.cli("", nil, "orgs", "add-member", "--org", beta["id"], "--user", ada["id"], "--role", "member")
	srv.cli("", &client, "clients", "create", "--name", name, "--public",
		"--grant-type", grantDeviceCode, "--grant-type", "refresh_token")
	return srv, ada, beta, client
}

// deviceFlow is the device authorization grant (RFC 8628) as a
// command-line tool sees it: golang.org/x/oauth2's DeviceAuth and
// DeviceAccessToken at their defaults, with the endpoints found by go-oidc
// through discovery, poll while headless Chromium signs in on the real
// /device page (reached by verification_uri_complete), picks an
// organization and approves; the ID token is verified by go-oidc, the
// refresh token refreshes, and the device code is not redeemed twice.
func deviceFlow(t *testing.T, db string) {
	srv, ada, beta, client := newDeviceServer(t, db, "Deploy CLI")

	bg := context.Background()
	provider, err := oidc.NewProvider(bg, srv.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if provider.Endpoint().DeviceAuthURL != srv.URL+"/oauth2/device_authorization" {
		t.Fatalf("discovery's device_authorization_endpoint = %q", provider.Endpoint().DeviceAuthURL)
	}
	cfg := &oauth2.Config{ClientID: client["client_id"], Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
	da, err := cfg.DeviceAuth(bg)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if da.VerificationURI != srv.URL+"/device" || !strings.HasPrefix(da.VerificationURIComplete, srv.URL+"/device?user_code=") {
		t.Fatalf("device authorization response: %+v", da)
	}

	type result struct {
		tok *oauth2.Token
		err error
	}
	polled := make(chan result, 1)
	pollCtx, cancel := context.WithTimeout(bg, 2*time.Minute)
	defer cancel()
	go func() {
		tok, err := cfg.DeviceAccessToken(pollCtx, da)
		polled <- result{tok, err}
	}()

	ctx := newBrowser(t)
	signInFrom(t, ctx, da.VerificationURIComplete, "ada@example.com", adaPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#device-approve")))
	text := bodyText(t, ctx)
	for _, want := range []string{"Deploy CLI", da.UserCode, "Acme", "Beta", "Stay signed in"} {
		if !strings.Contains(text, want) {
			t.Fatalf("device page lacks %q:\n%s", want, text)
		}
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name="org_id"][value="`+beta["id"]+`"]`)),
		chromedp.Click(chromedp.CSS("#device-approve")),
	)
	waitText(t, ctx, "Device connected")

	var res result
	select {
	case res = <-polled:
	case <-pollCtx.Done():
		t.Fatal("DeviceAccessToken did not return after the approval")
	}
	if res.err != nil {
		t.Fatalf("DeviceAccessToken: %v\n%s", res.err, srv.logs())
	}
	tok := res.tok
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token: type %q, refresh token %v", tok.TokenType, tok.RefreshToken != "")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: client["client_id"]}).Verify(bg, raw)
	if err != nil {
		t.Fatalf("ID token does not verify: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != ada["id"] || claims["org_id"] != beta["id"] || claims["org_role"] != "member" || claims["email"] != "ada@example.com" {
		t.Fatalf("ID token claims: %v", claims)
	}
	ui, err := provider.UserInfo(bg, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != ada["id"] {
		t.Fatalf("userinfo: %v %v", ui, err)
	}

	// The device code is single use: polling it again is invalid_grant.
	_, err = cfg.DeviceAccessToken(bg, da)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("second DeviceAccessToken: %v, want invalid_grant", err)
	}

	// The refresh token refreshes, as for the code flow.
	tok.Expiry = time.Now().Add(-time.Minute)
	next, err := cfg.TokenSource(bg, tok).Token()
	if err != nil || next.AccessToken == tok.AccessToken || next.RefreshToken == "" {
		t.Fatalf("refresh: %v", err)
	}
}
