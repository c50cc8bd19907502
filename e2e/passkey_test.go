package e2e

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// passkeyFlow is a passkey as a person meets it, in headless Chromium with
// a virtual authenticator, through the real server: sign in with the
// password (scripts off: the login page works without them), add a passkey
// on the account page, sign out, then sign in to a web app (x/oauth2 +
// PKCE, go-oidc verifying the ID token) with the passkey and no password;
// the ID token's amr says hwk (RFC 8176) and its acr phr.
func TestPasskeyBrowserSQLite(t *testing.T)   { passkeyFlow(t, "sqlite") }
func TestPasskeyBrowserPostgres(t *testing.T) { passkeyFlow(t, "postgres") }

func passkeyFlow(t *testing.T, db string) {
	srv := newPasskeyServer(t, db)
	srv.start(15 * time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(srv.logs(), "\n") {
				if strings.Contains(l, "passkey") {
					t.Log(l)
				}
			}
		}
	})
	rp := newRelyingParty(t)
	var ada, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Notebook", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)
	auth := virtualAuthenticator(t, ctx)

	// Without scripts the login page is the password form, and it works.
	scripts := func(off bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
			return err
		})
	}
	do(t, ctx, scripts(true))
	signInFrom(t, ctx, srv.URL+"/account/passkeys", "ada@example.com", adaPassword)
	waitText(t, ctx, "You have no passkeys yet")
	if visible, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("passkey-form").hidden`)); visible {
		t.Error("the passkey form shows without scripts")
	}
	do(t, ctx, scripts(false))

	registerPasskey(t, ctx, srv, "Laptop")
	page := waitText(t, ctx, "Laptop")
	if !strings.Contains(page, "On a device or password manager") || !strings.Contains(page, "never used") {
		t.Errorf("passkey list:\n%s", page)
	}
	creds := virtualCredentials(t, ctx, auth)
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		t.Fatalf("virtual authenticator holds %+v, want one resident credential for localhost", creds)
	}
	signOut(t, ctx, srv)

	// Sign in to the app with the passkey alone.
	// The email field offers passkeys in its autofill (conditional
	// mediation); Chromium's virtual authenticator may answer that request
	// by itself before the button is pressed.
	resp, err := http.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	login, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(login), `autocomplete="username webauthn"`) {
		t.Errorf("login page without conditional mediation:\n%s", login)
	}
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start"))
	how := signInWithPasskey(t, ctx)
	t.Logf("signed in with the passkey through the %s", how)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Error != "" {
		t.Fatalf("relying party: %s", res.Error)
	}
	amr, _ := res.Claims["amr"].([]any)
	if !slices.Contains(amr, any("hwk")) || !slices.Contains(amr, any("user")) || slices.Contains(amr, any("pwd")) {
		t.Fatalf("ID token amr = %v; want hwk and user, no pwd", res.Claims["amr"])
	}
	if a := res.Claims["acr"]; a != "phr" {
		t.Errorf("ID token acr = %v, want phr (phishing-resistant)", a)
	}
	if res.Claims["sub"] != ada["id"] {
		t.Fatalf("ID token sub = %v", res.Claims["sub"])
	}
	if c := virtualCredentials(t, ctx, auth); len(c) != 1 || c[0].SignCount < 1 {
		t.Errorf("credential after sign-in: %+v", c)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/account/passkeys"))
	if page := waitText(t, ctx, "Laptop"); !strings.Contains(page, "last used") {
		t.Errorf("passkey list after a sign-in:\n%s", page)
	}
}

// TestPasskeySecondFactorBrowser: a person with an authenticator app adds a
// passkey; after the password the second step offers both, and the
// passkey (from the allow list of their passkeys) completes it: the ID
// token's amr has pwd, hwk and mfa.
func TestPasskeySecondFactorBrowser(t *testing.T) {
	srv := newPasskeyServer(t, "sqlite")
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var client map[string]string
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Notebook", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)
	auth := virtualAuthenticator(t, ctx)

	signInFrom(t, ctx, srv.URL+"/account/mfa", "ada@example.com", adaPassword)
	enrollAuthenticatorApp(t, ctx)
	registerPasskey(t, ctx, srv, "Laptop")
	signOut(t, ctx, srv)

	// The person types the password, so the email field's passkey autofill
	// is not answered; then they touch the authenticator on the second step.
	autoPresence(t, ctx, auth, false)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#code")))
	autoPresence(t, ctx, auth, true)
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS("#passkey-verify")),
		chromedp.Click(chromedp.CSS("#passkey-verify")),
	)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	amr, _ := res.Claims["amr"].([]any)
	if res.Error != "" || !slices.Contains(amr, any("pwd")) || !slices.Contains(amr, any("hwk")) || !slices.Contains(amr, any("mfa")) {
		t.Fatalf("ID token amr = %v (%s); want pwd, hwk and mfa", res.Claims["amr"], res.Error)
	}
}
