package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestFormPostSQLite(t *testing.T)   { formPostFlow(t, "sqlite") }
func TestFormPostPostgres(t *testing.T) { formPostFlow(t, "postgres") }

// formPostFlow drives response_mode=form_post (OAuth 2.0 Form Post Response
// Mode §2) in Chromium: the provider's page must post the response to the
// RP's origin by itself, for an error (prompt=none, nobody signed in) and
// for a code that x/oauth2 redeems and go-oidc verifies. Under the pages'
// CSP the browser stays on a blank page and the RP never hears back.
func formPostFlow(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var client map[string]string
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Form Post App", "--first-party",
		"--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)

	// An error answered by form_post reaches the RP as a POST too.
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?response_mode=form_post&prompt=none"))
	waitText(t, ctx, "RP error")
	if r := rp.result(); r.Error != "login_required" || r.Method != http.MethodPost {
		t.Fatalf("prompt=none by form_post: %+v, want login_required by POST", r)
	}

	signInFrom(t, ctx, rp.srv.URL+"/start?response_mode=form_post", "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: signed in")
	r := rp.result()
	if r.Method != http.MethodPost || r.IDToken == nil || r.Token.AccessToken == "" {
		t.Fatalf("form_post sign-in: %+v", r)
	}
	if !strings.HasPrefix(location(t, ctx), rp.srv.URL+"/callback") {
		t.Fatalf("browser ended at %s", location(t, ctx))
	}
}
