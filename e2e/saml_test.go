package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ostiary/ostiary/internal/fakesaml"
)

// samlSetup is a server whose organization Acme signs in through a SAML
// identity provider (crewjam/saml's IdentityProvider, on localhost so its
// post to our ACS is cross-site) with the verified domain acme.test, the
// group eng mapped to admin, and IdP-initiated sign-on allowed; and an
// application using it with x/oauth2 and go-oidc.
type samlSetup struct {
	srv  *server
	idp  *fakesaml.Server
	rp   *relyingParty
	org  string
	conn map[string]any
}

func newSAMLSetup(t *testing.T, db []string) *samlSetup {
	t.Helper()
	idp := fakesaml.New(fakesaml.Person{NameID: "anne-0042", Email: "anne@acme.test", Name: "Anne Acme", Groups: []string{"eng"}})
	t.Cleanup(idp.Close)
	idp.URL = strings.Replace(idp.URL, "127.0.0.1", "localhost", 1)
	s := &samlSetup{srv: newServer(t, db), idp: idp}
	// Everything is set up through the CLI, as an operator would, before
	// the server starts.
	s.srv.cli("", &s.conn, "connectors", "create", "--id", "acme-saml", "--type", "saml", "--name", "Acme SAML",
		"--saml-metadata-url", idp.MetadataURL(), "--saml-allow-idp-initiated", "--output", "json")
	var acme map[string]string
	s.srv.cli("", &acme, "orgs", "create", "--name", "Acme", "--output", "json")
	s.org = acme["id"]
	s.srv.cli("", nil, "orgs", "sso-set", "--org", s.org, "--connector", "acme-saml", "--default-role", "member",
		"--group-role", "eng=admin")
	s.srv.cli("", nil, "orgs", "domains-add", "--org", s.org, "--domain", "acme.test", "--verified")
	s.rp = newRelyingParty(t)
	var app map[string]string
	s.srv.cli("", &app, "clients", "create", "--name", "Notes", "--first-party", "--redirect-uri", s.rp.srv.URL+"/callback")
	s.srv.start(15 * time.Second)
	s.rp.connect(s.srv.URL, app["client_id"], app["client_secret"])
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.srv.logs())
		}
	})
	return s
}

// postACS posts a response to the server at base as a browser would, and
// returns the status and the page.
func postACS(t *testing.T, base string, f fakesaml.Form) (int, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/sso/saml/acme-saml/acs", f.Values())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// unsolicited has the identity provider make an IdP-initiated response.
func (s *samlSetup) unsolicited(t *testing.T) fakesaml.Form {
	t.Helper()
	resp, err := http.Get(s.idp.URL + "/unsolicited?" + url.Values{"sp": {s.srv.URL + "/sso/saml/acme-saml/metadata"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("IdP-initiated: %d", resp.StatusCode)
	}
	return s.idp.Last()
}

func TestSAMLSignIn(t *testing.T)         { samlSignIn(t, database(t, "sqlite")) }
func TestSAMLSignInPostgres(t *testing.T) { samlSignIn(t, database(t, "postgres")) }

// samlSignIn: Anne, of the verified domain acme.test, signs in to the
// application through home-realm discovery and the organization's SAML
// identity provider in Chromium; the ID token go-oidc verifies names Acme
// and the role her group maps to. The response she used, and an
// IdP-initiated one used once, are refused when posted again.
func samlSignIn(t *testing.T, db []string) {
	s := newSAMLSetup(t, db)
	saml, _ := s.conn["saml"].(map[string]any)
	if saml["entity_id"] != s.srv.URL+"/sso/saml/acme-saml/metadata" || saml["acs_url"] != s.srv.URL+"/sso/saml/acme-saml/acs" ||
		saml["signed"] != "assertion" {
		t.Fatalf("connector as created: %v", s.conn)
	}
	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.Navigate(s.rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#sso")),
		chromedp.SendKeys(chromedp.CSS("#email"), "anne@acme.test"),
		chromedp.Click(chromedp.CSS("#sso")),
	)
	waitText(t, ctx, "RP: signed in")
	res := s.rp.result()
	c := res.Claims
	if res.IDToken.Issuer != s.srv.URL || c["org_id"] != s.org || c["org_role"] != "admin" || c["idp"] != "acme-saml" ||
		c["email"] != "anne@acme.test" || c["email_verified"] != true {
		t.Fatalf("claims after SAML sign-in: %v", c)
	}
	amr, _ := c["amr"].([]any)
	if len(amr) != 1 || amr[0] != "fed" {
		t.Errorf("amr = %v, want [fed]", c["amr"])
	}
	if code, body := postACS(t, s.srv.URL, s.idp.Last()); code != http.StatusBadRequest || !strings.Contains(body, "This sign-in did not start here") {
		t.Fatalf("the used response posted again: %d\n%s", code, body)
	}
	f := s.unsolicited(t)
	if code, body := postACS(t, s.srv.URL, f); code != http.StatusSeeOther {
		t.Fatalf("IdP-initiated response: %d\n%s", code, body)
	}
	if code, body := postACS(t, s.srv.URL, f); code != http.StatusBadRequest || !strings.Contains(body, "This sign-in was already used") {
		t.Fatalf("IdP-initiated response replayed: %d\n%s", code, body)
	}
	var events []map[string]any
	s.srv.cli("", &events, "audit", "list", "--type", "saml.sso", "--output", "json")
	if len(events) != 2 {
		t.Fatalf("saml.sso events: %v", events)
	}
	s.srv.cli("", &events, "audit", "list", "--type", "saml.sso_failure", "--output", "json")
	if len(events) != 2 {
		t.Fatalf("saml.sso_failure events: %v", events)
	}
}

// A response accepted by one replica is refused by another on the same
// PostgreSQL: the assertion ID is remembered in the database.
func TestSAMLReplayAcrossReplicas(t *testing.T) {
	db := database(t, "postgres")
	s := newSAMLSetup(t, db)
	other := newServer(t, db)
	// Replicas behind one load balancer share the issuer.
	other.Env = append(other.Env, "OSTIARY_ISSUER="+s.srv.URL)
	other.start(15 * time.Second)
	f := s.unsolicited(t)
	if code, body := postACS(t, s.srv.URL, f); code != http.StatusSeeOther {
		t.Fatalf("first replica: %d\n%s", code, body)
	}
	if code, body := postACS(t, other.URL, f); code != http.StatusBadRequest || !strings.Contains(body, "This sign-in was already used") {
		t.Fatalf("second replica: %d\n%s\n%s", code, body, other.logs())
	}
}

// adminAPISAML creates a SAML connector through the admin API from the
// identity provider's metadata XML: the answer says what to give the
// identity provider's administrator and never the service provider's key;
// bad metadata is refused.
func adminAPISAML(t *testing.T, srv *server, token string) {
	t.Helper()
	idp := fakesaml.New(fakesaml.Person{NameID: "x"})
	defer idp.Close()
	status, _, body := adminAPI(t, srv.URL, "POST", "/connectors", token, map[string]any{"id": "initech-saml", "type": "saml",
		"name": "Initech SAML", "saml": map[string]any{"metadata_xml": string(idp.MetadataXML()), "signed": "both"}})
	if status != http.StatusCreated || strings.Contains(string(body), "PRIVATE KEY") || strings.Contains(string(body), "client_secret") ||
		!strings.Contains(string(body), `"entity_id": "`+srv.URL+`/sso/saml/initech-saml/metadata"`) ||
		!strings.Contains(string(body), `"acs_url": "`+srv.URL+`/sso/saml/initech-saml/acs"`) || !strings.Contains(string(body), `"signed": "both"`) {
		t.Fatalf("create SAML connector: %d %s", status, body)
	}
	status, _, body = adminAPI(t, srv.URL, "POST", "/connectors", token, map[string]any{"id": "bad-saml", "type": "saml",
		"name": "Bad", "saml": map[string]any{"metadata_xml": "<nope/>"}})
	wantError(t, "SAML connector with bad metadata", status, body, http.StatusBadRequest, "invalid_request")
	if status, _, body = adminAPI(t, srv.URL, "DELETE", "/connectors/initech-saml", token, nil); status != http.StatusNoContent {
		t.Fatalf("delete SAML connector: %d %s", status, body)
	}
}
