package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ssoPair is two servers on loopback: an upstream provider with a client
// registered for the broker, and the broker with a YAML connector to it.
type ssoPair struct {
	upstream, broker *server
	rp               *relyingParty
}

// newSSOPair starts both servers; brokerExtra is appended to the broker's
// config file.
func newSSOPair(t *testing.T, brokerExtra string) *ssoPair {
	t.Helper()
	up := newServer(t, database(t, "sqlite"))
	// Another host name than the broker's 127.0.0.1: browsers keep cookies
	// per host, not per port, and two providers on one host would
	// overwrite each other's session cookie.
	up.URL = strings.Replace(up.URL, "127.0.0.1", "localhost", 1)
	up.Env = append(up.Env, "OSTIARY_ISSUER="+up.URL)
	up.start(15 * time.Second)
	broker := newServer(t, database(t, "sqlite"))
	var upClient map[string]string
	up.cli("", &upClient, "clients", "create", "--name", "Broker", "--first-party",
		"--redirect-uri", broker.URL+"/login/upstream/callback", "--post-logout-redirect-uri", broker.URL+"/logout/upstream/done")
	cfg := fmt.Sprintf(`connectors:
  - id: upstream
    type: oidc
    name: Upstream Corp
    issuer: %s
    client_id: %s
    client_secret: %s
    scopes: [openid, profile, email]
%s`, up.URL, upClient["client_id"], upClient["client_secret"], brokerExtra)
	path := filepath.Join(t.TempDir(), "broker.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	broker.Args = []string{"--config", path}
	broker.start(15 * time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("upstream log:\n%s\nbroker log:\n%s", up.logs(), broker.logs())
		}
	})

	rp := newRelyingParty(t)
	var app map[string]string
	broker.cli("", &app, "clients", "create", "--name", "Notes", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(broker.URL, app["client_id"], app["client_secret"])
	return &ssoPair{upstream: up, broker: broker, rp: rp}
}

type userView struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

func (s *server) users() []userView {
	s.t.Helper()
	var us []userView
	s.cli("", &us, "users", "list", "--output", "json")
	return us
}

func (s *server) userByEmail(email string) (userView, bool) {
	s.t.Helper()
	for _, u := range s.users() {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return userView{}, false
}

// upstreamSignIn drives the browser from the application through the
// broker's "Sign in with Upstream Corp" button and the upstream's login page.
func (p *ssoPair) upstreamSignIn(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(p.rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-connector="upstream"]`)),
		chromedp.Click(chromedp.CSS(`button[data-connector="upstream"]`)),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
	if loc := location(t, ctx); !strings.HasPrefix(loc, p.upstream.URL+"/login") {
		t.Fatalf("the button went to %s, not the upstream's login page", loc)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
	)
}

func TestSSOBrokerJustInTime(t *testing.T) {
	p := newSSOPair(t, "")
	p.upstream.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@upstream.test", "--name", "Ada Upstream",
		"--password-stdin", "--verified")
	before := len(p.broker.users())
	if _, ok := p.broker.userByEmail("ada@upstream.test"); ok {
		t.Fatal("broker has Ada before the first sign-in")
	}

	ctx := newBrowser(t)
	p.upstreamSignIn(t, ctx, "ada@upstream.test", adaPassword)
	waitText(t, ctx, "RP: signed in")
	res := p.rp.result()
	c := res.Claims
	if res.IDToken.Issuer != p.broker.URL {
		t.Fatalf("ID token issuer %q, want the broker %q", res.IDToken.Issuer, p.broker.URL)
	}
	if c["idp"] != "upstream" {
		t.Errorf("idp claim = %v, want upstream", c["idp"])
	}
	amr, _ := c["amr"].([]any)
	if len(amr) != 1 || amr[0] != "fed" {
		t.Errorf("amr = %v, want [fed]", c["amr"])
	}
	if c["email"] != "ada@upstream.test" || c["email_verified"] != true || c["name"] != "Ada Upstream" {
		t.Errorf("profile claims %v", c)
	}
	// The account was made just in time, with the broker's own id.
	ada, ok := p.broker.userByEmail("ada@upstream.test")
	if !ok || !ada.EmailVerified || ada.ID != res.IDToken.Subject || len(p.broker.users()) != before+1 {
		t.Fatalf("broker users after sign-in %+v, subject %s", p.broker.users(), res.IDToken.Subject)
	}

	// A second sign-in (new browser) lands in the same account.
	ctx2 := newBrowser(t)
	p.upstreamSignIn(t, ctx2, "ada@upstream.test", adaPassword)
	waitText(t, ctx2, "RP: signed in")
	if sub := p.rp.result().IDToken.Subject; sub != ada.ID {
		t.Fatalf("second sign-in subject %s, want %s", sub, ada.ID)
	}
	if n := len(p.broker.users()); n != before+1 {
		t.Fatalf("broker has %d users after the second sign-in", n)
	}
}

// An upstream sign-in whose address has a password account at the broker is
// linked only after the password is given; afterwards the upstream subject,
// not the address, finds the account.
func TestSSOLinkExistingAccount(t *testing.T) {
	p := newSSOPair(t, "")
	const brokerPassword = "grace's broker password 1906"
	var grace map[string]string
	p.broker.cli(brokerPassword+"\n", &grace, "users", "create", "--email", "grace@example.test", "--name", "Grace",
		"--password-stdin", "--verified", "--output", "json")
	p.upstream.cli(adaPassword+"\n", nil, "users", "create", "--email", "grace@example.test", "--name", "Grace H",
		"--password-stdin", "--verified")
	before := len(p.broker.users())

	ctx := newBrowser(t)
	p.upstreamSignIn(t, ctx, "grace@example.test", adaPassword)
	waitText(t, ctx, "Link your Upstream Corp sign-in")
	// A wrong password links nothing.
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, ctx, "That password is not right.")
	var ids []map[string]string
	p.broker.cli("", &ids, "users", "identities", "--user", grace["id"], "--output", "json")
	if len(ids) != 0 {
		t.Fatalf("identity linked before the password was given: %v", ids)
	}
	// Another browser with the same upstream account is asked again: the
	// address alone never signs anyone in.
	other := newBrowser(t)
	p.upstreamSignIn(t, other, "grace@example.test", adaPassword)
	waitText(t, other, "Link your Upstream Corp sign-in")

	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), brokerPassword),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, ctx, "RP: signed in")
	res := p.rp.result()
	if res.IDToken.Subject != grace["id"] || res.Claims["idp"] != "upstream" {
		t.Fatalf("linked sign-in: sub %s idp %v, want %s upstream", res.IDToken.Subject, res.Claims["idp"], grace["id"])
	}
	p.broker.cli("", &ids, "users", "identities", "--user", grace["id"], "--output", "json")
	if len(ids) != 1 || ids[0]["connector"] != "upstream" || ids[0]["issuer"] != p.upstream.URL {
		t.Fatalf("identities after linking: %v", ids)
	}

	// The address changes at the upstream; the same upstream account still
	// signs in to Grace's account, and no new account appears.
	p.upstream.cli("", nil, "users", "set-email", "--user", "grace@example.test", "--email", "grace.hopper@navy.test", "--verified")
	later := newBrowser(t)
	p.upstreamSignIn(t, later, "grace.hopper@navy.test", adaPassword)
	waitText(t, later, "RP: signed in")
	if sub := p.rp.result().IDToken.Subject; sub != grace["id"] {
		t.Fatalf("after the upstream address changed: subject %s, want %s", sub, grace["id"])
	}
	if n := len(p.broker.users()); n != before {
		t.Fatalf("broker has %d users, want %d", n, before)
	}
	if _, ok := p.broker.userByEmail("grace.hopper@navy.test"); ok {
		t.Fatal("a new account was made for the changed upstream address")
	}
}
