package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// passkeyStepUpFlow is the rest of #14's browser story, after a passkey is
// registered (passkeyFlow): a client asking for a phishing-resistant
// sign-in (acr_values=phr, OpenID Connect Core §3.1.2.1) from a password
// session sends the person to the step-up, where the passkey alone (no
// second password prompt) raises the session to phr; then an organization
// that requires a passkey refuses the refresh of a grant made with the
// password only, and a new password-only sign-in gets no code until the
// passkey is used.
func TestPasskeyStepUpBrowserSQLite(t *testing.T)   { passkeyStepUpFlow(t, "sqlite") }
func TestPasskeyStepUpBrowserPostgres(t *testing.T) { passkeyStepUpFlow(t, "postgres") }

func passkeyStepUpFlow(t *testing.T, db string) {
	srv := newPasskeyServer(t, db)
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var ada, acme, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &acme, "orgs", "create", "--name", "Acme")
	srv.cli("", nil, "orgs", "add-member", "--org", acme["id"], "--user", ada["id"], "--role", "member")
	srv.cli("", &client, "clients", "create", "--name", "Notebook", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)
	auth := virtualAuthenticator(t, ctx)

	// A passkey is added after a password sign-in (no credential exists
	// yet, so the email field's passkey autofill has nothing to answer
	// with); the person signs out.
	signInFrom(t, ctx, srv.URL+"/account/passkeys", "ada@example.com", adaPassword)
	waitText(t, ctx, "You have no passkeys yet")
	registerPasskey(t, ctx, srv, "Laptop")
	signOut(t, ctx, srv)

	// A password sign-in to the app: one factor, and a refresh token. The
	// person types the password, so the autofill request stays unanswered.
	autoPresence(t, ctx, auth, false)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Error != "" || res.Claims["acr"] != "urn:ostiary:acr:1fa" || res.Claims["org_id"] != acme["id"] {
		t.Fatalf("password sign-in: acr %v, org %v (%s); want urn:ostiary:acr:1fa in Acme", res.Claims["acr"], res.Claims["org_id"], res.Error)
	}
	passwordGrant := res.Token

	// acr_values=phr from that password session: the step-up offers the
	// passkey and nothing else, and asks for no password.
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?acr_values=phr"))
	page := waitText(t, ctx, "Use a passkey")
	if strings.Contains(page, "Password") || !strings.Contains(location(t, ctx), "/account/mfa?request=") {
		t.Fatalf("step-up page at %s:\n%s", location(t, ctx), page)
	}
	autoPresence(t, ctx, auth, true)
	do(t, ctx, chromedp.Click(chromedp.CSS("#passkey-stepup")))
	waitText(t, ctx, "RP: signed in")
	res = rp.result()
	amr, _ := res.Claims["amr"].([]any)
	if res.Error != "" || res.Claims["acr"] != "phr" ||
		!slices.Contains(amr, any("pwd")) || !slices.Contains(amr, any("hwk")) || !slices.Contains(amr, any("mfa")) {
		t.Fatalf("after the step-up: acr %v, amr %v (%s); want phr with pwd, hwk and mfa", res.Claims["acr"], amr, res.Error)
	}

	// The organization now requires a passkey: the password-only grant
	// from before no longer refreshes (x/oauth2 at its defaults).
	srv.cli("", nil, "orgs", "update", "--org", acme["id"], "--require-passkey", "true")
	_, err := rp.Config.TokenSource(context.Background(), &oauth2.Token{RefreshToken: passwordGrant.RefreshToken,
		Expiry: time.Now().Add(-time.Minute)}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh of the password-only grant: %v; want invalid_grant", err)
	}

	// A new password-only sign-in gets no code: it stops at the step-up
	// until the passkey is used.
	signOut(t, ctx, srv)
	autoPresence(t, ctx, auth, false)
	rp.mu.Lock()
	rp.last = result{}
	rp.mu.Unlock()
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	waitText(t, ctx, "Use a passkey")
	if got := rp.result(); got.Token != nil || got.Code != "" || got.State != "" {
		t.Fatalf("a password-only sign-in reached the app: %+v", got)
	}
	autoPresence(t, ctx, auth, true)
	do(t, ctx, chromedp.Click(chromedp.CSS("#passkey-stepup")))
	waitText(t, ctx, "RP: signed in")
	if res := rp.result(); res.Error != "" || res.Claims["acr"] != "phr" || res.Claims["org_id"] != acme["id"] {
		t.Fatalf("after the passkey: acr %v, org %v (%s)", res.Claims["acr"], res.Claims["org_id"], res.Error)
	}
}
