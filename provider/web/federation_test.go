package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// The account page lists linked providers, links another while signed in,
// and refuses to unlink the last way to sign in.
func TestAccountIdentities(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	up := h.withUpstream(webtest.Ada)

	// A just-in-time account has no password: its one identity stays.
	a := h.Browser()
	a.Get(a.StartUpstream(""))
	page := a.Get("/account")
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "Sign-in providers", "Corp SSO", "ada@corp.example")
	sess, _ := a.Session()
	ids, err := h.Store.ListIdentitiesByUser(h.Ctx(), sess.UserID)
	if err != nil || len(ids) != 1 {
		t.Fatalf("identities %v (%v)", ids, err)
	}
	w := a.Post("/account/identities/unlink", url.Values{"identity_id": {ids[0].ID}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "This is the only way you can sign in.")
	if ids, _ := h.Store.ListIdentitiesByUser(h.Ctx(), sess.UserID); len(ids) != 1 {
		t.Fatal("the last identity was unlinked")
	}

	// A password account links Corp from the account page, then unlinks it.
	grace := h.User("grace", "grace@example.com", "grace's password 1906")
	b := h.Browser()
	b.SignIn("grace@example.com", "grace's password 1906")
	page = b.Get("/account")
	if !strings.Contains(page.Body.String(), `data-link="corp"`) {
		t.Fatalf("account page offers no link button:\n%s", page.Body)
	}
	up.SetPerson(fakeidp.Person{Subject: "upstream-grace", Email: "gh@corp.example", EmailVerified: true})
	w = b.Post("/login/upstream/corp", url.Values{"action": {"link"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("link start: %d\n%s", w.Code, w.Body)
	}
	w = b.Get(b.FollowUpstream(w.Header().Get("Location")))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account#identities" {
		t.Fatalf("link callback: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	ids, err = h.Store.ListIdentitiesByUser(h.Ctx(), grace.ID)
	if err != nil || len(ids) != 1 || ids[0].Subject != "upstream-grace" {
		t.Fatalf("grace's identities %v (%v)", ids, err)
	}
	b.Get("/account")
	w = b.Post("/account/identities/unlink", url.Values{"identity_id": {ids[0].ID}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("unlink: %d\n%s", w.Code, w.Body)
	}
	if ids, _ := h.Store.ListIdentitiesByUser(h.Ctx(), grace.ID); len(ids) != 0 {
		t.Fatal("identity still linked")
	}
}

// An organization owner sets up single sign-on on the organization page;
// then an address of the verified domain signs in through the upstream
// and joins with the mapped role, and passwords for it are refused.
func TestOrgSSOPageAndHomeRealm(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	up, sso := h.withEnterprise(fakeidp.Person{Subject: "bea", Email: "bea@acme.example", EmailVerified: true, Groups: []string{"eng"}})
	h.orgs.SSO = &orgs.SSO{Service: sso, Connectors: h.fed.Connectors}
	h.User("olga", "olga@acme.example", "olga's password 1234")
	if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: "acme", UserID: "olga", Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	olga := h.Browser()
	olga.SignIn("olga@acme.example", "olga's password 1234")
	page := olga.Get("/organizations/acme")
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "Single sign-on", "Corp SSO")
	w := olga.Post("/organizations/acme", url.Values{"action": {"sso_set"}, "connector": {"corp"}, "default_role": {"member"},
		"group_roles": {"eng=admin\n"}, "forbid_password": {"1"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sso_set: %d\n%s", w.Code, w.Body)
	}
	olga.Get("/organizations/acme")
	w = olga.Post("/organizations/acme", url.Values{"action": {"domain_add"}, "domain": {"Acme.example"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("domain_add: %d\n%s", w.Code, w.Body)
	}
	page = olga.Get("/organizations/acme")
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "_ostiary-challenge.acme.example", "ostiary-domain-verification=")
	// No DNS answers at 127.0.0.1:1: the check fails with a clear message.
	w = olga.Post("/organizations/acme", url.Values{"action": {"domain_verify"}, "domain": {"acme.example"}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "The TXT record was not found yet")
	// The page's changes are audited like the admin API's and the CLI's.
	for _, typ := range []string{"org.sso_updated", "org.domain_added"} {
		if evs := h.Audits(typ); len(evs) != 1 || evs[0].OrgID != "acme" {
			t.Errorf("audit %s: %+v", typ, evs)
		}
	}
	if evs := h.Audits("org.domain_verified"); len(evs) != 0 {
		t.Errorf("a failed DNS check was audited as verified: %+v", evs)
	}

	// Unverified, the domain changes nothing at sign-in.
	if msg, _ := h.fed.PasswordRefused(h.Ctx(), "olga@acme.example"); msg != "" {
		t.Fatalf("password refused for an unverified domain: %s", msg)
	}
	if err := h.Store.VerifyOrgDomain(h.Ctx(), "acme", "acme.example", h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The owner's own password sign-in is now refused, with a clear message.
	b := h.Browser()
	b.Get("/login")
	w = b.Post("/login", url.Values{"action": {"login"}, "email": {"olga@acme.example"}, "password": {"olga's password 1234"}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusForbidden, "Your organization does not allow passwords for this address.")
	if _, ok := b.Session(); ok {
		t.Fatal("signed in with a forbidden password")
	}

	// Home-realm discovery: Bea's address goes to Corp SSO; she joins Acme
	// as admin (group eng).
	bea := h.Browser()
	bea.Get("/login")
	w = bea.Post("/login", url.Values{"action": {"login"}, "email": {"bea@acme.example"}, "sso": {"1"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), up.URL+"/authorize?") {
		t.Fatalf("home realm: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	w = bea.Get(bea.FollowUpstream(w.Header().Get("Location")))
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in")
	sess, _ := bea.Session()
	m, err := h.Store.GetMembership(h.Ctx(), "acme", sess.UserID)
	if err != nil || m.Role != "admin" || sess.OrgID != "acme" {
		t.Fatalf("membership %+v (%v), session org %q", m, err, sess.OrgID)
	}
	// An address of another domain gets a clear answer.
	c := h.Browser()
	c.Get("/login")
	w = c.Post("/login", url.Values{"action": {"login"}, "email": {"cy@elsewhere.example"}, "sso": {"1"}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "Single sign-on is not set up for this address.")
}
