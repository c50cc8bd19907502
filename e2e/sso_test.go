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

// newSSOPair starts both servers; connectorExtra is added to the broker's
// connector (YAML, indented four spaces).
func newSSOPair(t *testing.T, connectorExtra string) *ssoPair {
	t.Helper()
	return newSSOPairOn(t, "sqlite", connectorExtra)
}

// newSSOPairOn is newSSOPair with the broker on the given database.
func newSSOPairOn(t *testing.T, brokerDB, connectorExtra string) *ssoPair {
	t.Helper()
	up := newServer(t, database(t, "sqlite"))
	// Another host name than the broker's 127.0.0.1: browsers keep cookies
	// per host, not per port, and two providers on one host would
	// overwrite each other's session cookie.
	up.URL = strings.Replace(up.URL, "127.0.0.1", "localhost", 1)
	up.Env = append(up.Env, "OSTIARY_ISSUER="+up.URL)
	up.start(15 * time.Second)
	broker := newServer(t, database(t, brokerDB))
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
%s`, up.URL, upClient["client_id"], upClient["client_secret"], connectorExtra)
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
	)
	waitAt(t, ctx, p.upstream.URL+"/login", "the button")
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
	)
}

// waitAt waits until the browser is at an address starting with prefix.
// The broker's own login page has the same #password field as the
// upstream's, so waiting for the field alone can pass before the browser
// has left the broker.
func waitAt(t *testing.T, ctx context.Context, prefix, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for loc := location(t, ctx); !strings.HasPrefix(loc, prefix); loc = location(t, ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("%s went to %s, not %s", what, loc, prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSSOBrokerJustInTime(t *testing.T)         { ssoJustInTime(t, "sqlite") }
func TestSSOBrokerJustInTimePostgres(t *testing.T) { ssoJustInTime(t, "postgres") }

func ssoJustInTime(t *testing.T, brokerDB string) {
	p := newSSOPairOn(t, brokerDB, "    upstream_logout: true\n")
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

	// Signing out at the broker signs out at the upstream too (opt-in
	// upstream logout) and comes back to the broker.
	do(t, ctx2,
		chromedp.Navigate(p.broker.URL+"/logout"),
		chromedp.WaitVisible(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	waitText(t, ctx2, "You are signed out")
	if loc := location(t, ctx2); !strings.HasPrefix(loc, p.broker.URL+"/logout/upstream/done") {
		t.Fatalf("after logout the browser is at %s", loc)
	}
	do(t, ctx2, chromedp.Navigate(p.upstream.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#password")))
	if loc := location(t, ctx2); !strings.HasPrefix(loc, p.upstream.URL+"/login") {
		t.Fatalf("still signed in at the upstream: %s", loc)
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

// Home-realm discovery: an address of a domain the organization claimed
// goes to the organization's upstream, and the user ends up in that
// organization with the role their upstream group maps to; passwords for
// the domain are refused, existing accounts included.
func TestSSOHomeRealmDiscovery(t *testing.T) {
	// The upstream Ostiary's org_role claim stands for the upstream group.
	p := newSSOPair(t, "    claims:\n      groups: org_role\n")
	var upOrg, acme map[string]string
	var anne map[string]string
	p.upstream.cli(adaPassword+"\n", &anne, "users", "create", "--email", "anne@acme.test", "--name", "Anne",
		"--password-stdin", "--verified", "--output", "json")
	p.upstream.cli("", &upOrg, "orgs", "create", "--name", "Acme Directory", "--output", "json")
	p.upstream.cli("", nil, "orgs", "add-member", "--org", upOrg["id"], "--user", anne["id"], "--role", "admin")

	p.broker.cli("", &acme, "orgs", "create", "--name", "Acme", "--output", "json")
	p.broker.cli("", nil, "orgs", "sso-set", "--org", acme["id"], "--connector", "upstream", "--default-role", "member",
		"--forbid-password", "--group-role", "admin=admin")
	p.broker.cli("", nil, "orgs", "domains-add", "--org", acme["id"], "--domain", "acme.test", "--verified")
	const carlPassword = "carl has a password here 42"
	p.broker.cli(carlPassword+"\n", nil, "users", "create", "--email", "carl@acme.test", "--password-stdin", "--verified")

	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.Navigate(p.rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#sso")),
		chromedp.SendKeys(chromedp.CSS("#email"), "anne@acme.test"),
		chromedp.Click(chromedp.CSS("#sso")),
	)
	waitAt(t, ctx, p.upstream.URL+"/login", "home-realm discovery")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#password")))
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), "anne@acme.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, ctx, "RP: signed in")
	c := p.rp.result().Claims
	if c["org_id"] != acme["id"] || c["org_name"] != "Acme" || c["org_role"] != "admin" || c["idp"] != "upstream" {
		t.Fatalf("claims after home-realm sign-in: %v", c)
	}
	var members []map[string]any
	p.broker.cli("", &members, "orgs", "members", "--org", acme["id"], "--output", "json")
	if len(members) != 1 || members[0]["role"] != "admin" {
		t.Fatalf("Acme members %v, want Anne as admin", members)
	}

	// Carl has a password at the broker, but Acme forbids passwords for
	// its domain.
	carl := newBrowser(t)
	do(t, carl,
		chromedp.Navigate(p.rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#email"), "carl@acme.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), carlPassword),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, carl, "Your organization does not allow passwords for this address.")
	if r := p.rp.result(); r.Claims["email"] == "carl@acme.test" {
		t.Fatal("Carl signed in with a password")
	}
}
