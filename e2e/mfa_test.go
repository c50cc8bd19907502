package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ostiary/ostiary/provider/totp"
)

// twoFactorFlow is two-step verification as a user meets
// it: sign in, set up an authenticator app on /account/mfa (the test plays
// the app, reading the key from the page's manual-entry text), sign out,
// then sign in to a web app (x/oauth2 + PKCE, go-oidc) with password and
// code; the ID token's amr says "otp". A recovery code works once.
func TestTwoFactorBrowserSQLite(t *testing.T)   { twoFactorFlow(t, "sqlite") }
func TestTwoFactorBrowserPostgres(t *testing.T) { twoFactorFlow(t, "postgres") }

func twoFactorFlow(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var ada, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Notebook", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)

	// Sign in on the provider itself and come back to the setup page.
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/account/mfa"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`button[type="submit"]`)),
	)
	secret, shown, codes := enrollAuthenticatorApp(t, ctx)
	signOut(t, ctx, srv)

	// Password, then the code from the app (the next step's: the one that
	// confirmed the setup is spent), then back at the app.
	signInWithCode(t, ctx, rp, func() string { return totp.Code(secret, totp.Step(time.Now())+1) })
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Error != "" {
		t.Fatalf("relying party: %s", res.Error)
	}
	amr, _ := res.Claims["amr"].([]any)
	if !slices.Contains(amr, any("otp")) || !slices.Contains(amr, any("pwd")) {
		t.Fatalf("ID token amr = %v; want pwd and otp", res.Claims["amr"])
	}
	if res.Claims["sub"] != ada["id"] {
		t.Fatalf("ID token sub = %v", res.Claims["sub"])
	}
	signOut(t, ctx, srv)

	// A recovery code instead of the app: it works once.
	signInWithCode(t, ctx, rp, func() string { return codes[0] })
	waitText(t, ctx, "RP: signed in")
	if amr, _ := rp.result().Claims["amr"].([]any); !slices.Contains(amr, any("otp")) {
		t.Fatalf("amr after a recovery code = %v", rp.result().Claims["amr"])
	}
	signOut(t, ctx, srv)
	signInWithCode(t, ctx, rp, func() string { return codes[0] })
	waitText(t, ctx, "That code is not valid")
	if loc := location(t, ctx); !strings.Contains(loc, "/login/mfa") {
		t.Fatalf("a used recovery code went on to %s", loc)
	}
	if logs := srv.logs(); strings.Contains(logs, codes[0]) || strings.Contains(logs, shown) {
		t.Error("a recovery code or the key reached the server log")
	}
}

// enrollAuthenticatorApp turns on two-step verification on the
// /account/mfa page the signed-in browser is on, playing the app: it reads
// the key from the page's manual-entry text and answers its code. It
// returns the key, the key as shown, and the recovery codes.
func enrollAuthenticatorApp(t *testing.T, ctx context.Context) (secret []byte, shown string, codes []string) {
	t.Helper()
	waitText(t, ctx, "Set up an authenticator app")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`input[value="begin"] ~ button`)),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
		chromedp.WaitVisible(chromedp.CSS("svg.qr")),
	)
	shown = text(t, ctx, "#totp-secret")
	secret, err := totp.Encoding.DecodeString(strings.ReplaceAll(shown, " ", ""))
	if err != nil || len(secret) != totp.SecretSize {
		t.Fatalf("manual-entry key %q: %v", shown, err)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), totp.Code(secret, totp.Step(time.Now()))),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	codes = strings.Fields(text(t, ctx, "#recovery-codes"))
	if len(codes) != 10 {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	return secret, shown, codes
}

// signInWithCode starts a sign-in at the relying party and answers the
// password and second-factor pages.
func signInWithCode(t *testing.T, ctx context.Context, rp *relyingParty, code func() string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`#code[autocomplete="one-time-code"]`)),
	)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), code()),
		chromedp.Submit(chromedp.CSS("#code")),
	)
}

// signOut ends the provider session through the logout page.
func signOut(t *testing.T, ctx context.Context, srv *server) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/logout"),
		chromedp.WaitVisible(chromedp.CSS(`button[type="submit"]`)),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	waitText(t, ctx, "You are signed out")
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(actx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("browser: read %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}
