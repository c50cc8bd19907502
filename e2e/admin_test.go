package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2/clientcredentials"
)

// TestAdminPagesCreateClient: an instance administrator made with the CLI
// signs in at /admin, registers a confidential client on the form (a bad
// redirect URI first, refused), reads its secret from the page once, and a
// reload and a later visit show no secret; the client then gets a
// client_credentials token with that secret and signs Ada in through
// x/oauth2 and go-oidc. A user without the admin flag gets 403.
func TestAdminPagesCreateClient(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	const bobPW = "not an administrator at all 7"
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified", "--admin")
	var bob map[string]any
	srv.cli(bobPW+"\n", &bob, "users", "create", "--email", "bob@example.com", "--name", "Bob", "--password-stdin", "--verified")

	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(srv.URL+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, ctx, "Recent events")
	if loc := location(t, ctx); loc != srv.URL+"/admin" {
		t.Fatalf("after sign-in at %s, want back at /admin", loc)
	}
	screenshot(t, ctx, "admin-dashboard")

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`nav.admin-nav a[href="/admin/clients"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/clients/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/admin/clients/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#redirect_uris")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Deploy Robot"),
		chromedp.Click(chromedp.CSS(`input[name="first_party"]`)),
		chromedp.SendKeys(chromedp.CSS("#redirect_uris"), "http://evil.example.com/callback"),
		chromedp.Click(chromedp.CSS(`input[name="grant_types"][value="client_credentials"]`)),
		chromedp.SetValue(chromedp.CSS("#scopes"), "openid profile email offline_access deploy"),
	)
	screenshot(t, ctx, "admin-client-form")
	do(t, ctx, chromedp.Submit(chromedp.CSS("#name")))
	text := waitText(t, ctx, "Nothing was saved")
	if !strings.Contains(text, "http is allowed only for loopback hosts") {
		t.Fatalf("refusal does not say why:\n%s", text)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#redirect_uris"), rp.srv.URL+"/callback"),
		chromedp.Submit(chromedp.CSS("#name")),
	)
	waitText(t, ctx, "copy it now")
	screenshot(t, ctx, "admin-client-secret")
	secret, clientID := textOf(t, ctx, "[data-secret]"), textOf(t, ctx, "#client-id")
	if len(secret) < 32 || clientID == "" {
		t.Fatalf("secret %q, client id %q", secret, clientID)
	}
	detail := location(t, ctx)

	// Neither a reload nor a later visit shows it again.
	do(t, ctx, chromedp.Reload())
	if text := waitText(t, ctx, "Client ID"); strings.Contains(text, secret) || strings.Contains(text, "copy it now") {
		t.Fatalf("the secret is shown again after a reload:\n%s", text)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/admin/clients"), chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/clients/`+clientID+`"]`)),
		chromedp.Navigate(detail))
	if text := waitText(t, ctx, "Client ID"); strings.Contains(text, secret) {
		t.Fatalf("the secret is shown on a later visit:\n%s", text)
	}

	// The client works with the secret the page showed.
	cc := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: srv.URL + "/oauth2/token", Scopes: []string{"deploy"}}
	tok, err := cc.Token(context.Background())
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("client_credentials with the shown secret: %v", err)
	}
	rp.connect(srv.URL, clientID, secret)
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start"))
	waitText(t, ctx, "RP: signed in")
	if c := rp.result().Claims; c["email"] != "ada@example.com" {
		t.Fatalf("ID token claims: %v", c)
	}

	// The audit log shows who did it.
	do(t, ctx, chromedp.Navigate(srv.URL+"/admin/audit?"+url.Values{"type": {"client.created"}}.Encode()))
	if text := waitText(t, ctx, "client.created"); !strings.Contains(text, clientID) {
		t.Fatalf("audit log lacks the client:\n%s", text)
	}

	screenshot(t, ctx, "admin-audit")

	// Rotating on the keys page publishes a key with the real key manager.
	do(t, ctx, chromedp.Navigate(srv.URL+"/admin/keys"), chromedp.WaitVisible(chromedp.CSS("#rotate-key")),
		chromedp.Click(chromedp.CSS("#rotate-key")))
	if text := waitText(t, ctx, "New signing key published"); !strings.Contains(text, "Publishing") || !strings.Contains(text, "Signing") {
		t.Fatalf("keys after rotation:\n%s", text)
	}
	screenshot(t, ctx, "admin-keys")
	do(t, ctx, chromedp.Navigate(srv.URL+"/admin/users/"+fmt.Sprint(bob["id"])))
	waitText(t, ctx, "Signed-in sessions")
	screenshot(t, ctx, "admin-user")

	// Bob is signed in but no administrator.
	bobBrowser := newFormClient(t, srv.URL)
	if code, _ := bobBrowser.submit("/login", url.Values{"action": {"login"}, "email": {"bob@example.com"}, "password": {bobPW}}); code != http.StatusOK || !bobBrowser.signedIn() {
		t.Fatalf("bob's sign-in: %d", code)
	}
	for _, page := range []string{"/admin", "/admin/clients/new", "/admin/clients/" + clientID} {
		if code, body := bobBrowser.get(page); code != http.StatusForbidden || !strings.Contains(body, "Administrators only") {
			t.Fatalf("bob at %s: %d", page, code)
		}
	}
	if _, body := bobBrowser.get("/"); strings.Contains(body, "/admin") {
		t.Fatal("a non-admin's home page links the admin pages")
	}
}

// textOf is the trimmed text of the first element matching the CSS selector.
func textOf(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(actx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("browser: read %s: %v", selector, err)
	}
	return strings.TrimSpace(text)
}
