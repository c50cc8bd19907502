package orgs

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

const orgPW = "correct horse battery staple"

// newHarness is a webtest.Env serving the organization pages. Its agents
// sign in with SignInAs: the login page is web/signin's.
func newHarness(t *testing.T) *webtest.Env {
	t.Helper()
	h := webtest.New(t)
	pages, err := New(Pages{Site: h.Site(), Store: h.Store, Mailer: h.Mailer,
		Orgs: &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount(pages.Routes())
	return h
}

func TestOrganizationsNeedSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.Browser()
	webtest.WantRedirect(t, b.Get("/organizations"), "/login?return_to=%2Forganizations")
	webtest.WantRedirect(t, b.Get("/organizations/x"), "/login?return_to=%2Forganizations%2Fx")
	w := b.Post("/organizations", url.Values{"action": {"create"}, "name": {"X"}})
	if w.Code == http.StatusSeeOther {
		t.Fatal("a signed-out POST created an organization")
	}
}

func TestCreateAndSwitchOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	b.SignInAs("ada")
	acme := b.CreateOrg("Acme")
	globex := b.CreateOrg("Globex")
	m, err := h.Store.GetMembership(h.Ctx(), acme, "ada")
	if err != nil || m.Role != "owner" {
		t.Fatalf("creator membership = %+v, %v", m, err)
	}
	w := b.Get("/organizations")
	body := w.Body.String()
	if !strings.Contains(body, "Acme") || !strings.Contains(body, "Globex") {
		t.Fatalf("list lacks the organizations:\n%s", body)
	}

	// The switcher sets the session's active organization, which the
	// login's organization picker and the tokens use.
	webtest.WantStatus(t, b.Post("/organizations", url.Values{"action": {"switch"}, "org_id": {globex}}), http.StatusSeeOther)
	if s, _ := b.Session(); s.OrgID != globex {
		t.Fatalf("active organization = %q, want %q", s.OrgID, globex)
	}
	// Not a member: refused, nothing changes.
	h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: "foreign", Name: "Foreign"})
	b.Get("/organizations")
	webtest.WantStatus(t, b.Post("/organizations", url.Values{"action": {"switch"}, "org_id": {"foreign"}}), http.StatusUnprocessableEntity)
	if s, _ := b.Session(); s.OrgID != globex {
		t.Fatalf("active organization after a refused switch = %q", s.OrgID)
	}
	// A taken name says so on the page.
	b.Get("/organizations")
	w = b.Post("/organizations", url.Values{"action": {"create"}, "name": {"Acme"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "exists already") {
		t.Errorf("taken name page:\n%s", w.Body)
	}
	if len(h.Audits("org.created")) != 2 {
		t.Errorf("org.created audit events = %d, want 2", len(h.Audits("org.created")))
	}
}

func TestOrganizationFormsNeedCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	b.SignInAs("ada")
	acme := b.CreateOrg("Acme")
	for _, form := range []url.Values{
		{"action": {"rename"}, "name": {"Hijacked"}},
		{"action": {"delete"}, "confirm": {"Acme"}},
		{"action": {"define_role"}, "role_name": {"evil"}},
	} {
		form.Set("csrf_token", "forged")
		webtest.WantStatus(t, b.Do(http.MethodPost, "/organizations/"+acme, form), http.StatusForbidden)
	}
	webtest.WantStatus(t, b.Do(http.MethodPost, "/organizations", url.Values{"action": {"create"}, "name": {"X"}, "csrf_token": {"forged"}}),
		http.StatusForbidden)
	org, err := h.Store.GetOrg(h.Ctx(), acme)
	if err != nil || org.Name != "Acme" {
		t.Fatalf("organization after forged posts = %+v, %v", org, err)
	}
	roles, _ := h.Store.ListOrgRoles(h.Ctx(), acme)
	if len(roles) != 0 {
		t.Errorf("forged post defined a role: %+v", roles)
	}
}

func TestMembersAndRolesThroughThePage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	h.User("bob", "bob@example.com", orgPW)
	h.User("eve", "eve@example.com", orgPW)
	owner := h.Browser()
	owner.SignInAs("ada")
	acme := owner.CreateOrg("Acme")
	if err := h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: acme, UserID: "bob", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	page := "/organizations/" + acme

	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"define_role"}, "role_name": {"billing"}, "description": {"Invoices"}}), http.StatusSeeOther)
	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"set_role"}, "user_id": {"bob"}, "role": {"billing"}}), http.StatusSeeOther)
	if m, _ := h.Store.GetMembership(h.Ctx(), acme, "bob"); m.Role != "billing" {
		t.Fatalf("bob's role = %q, want billing", m.Role)
	}
	// The last owner cannot step down; the page says why.
	owner.Get(page)
	w := owner.Post(page, url.Values{"action": {"set_role"}, "user_id": {"ada"}, "role": {"member"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "at least one owner") {
		t.Errorf("last-owner refusal page:\n%s", w.Body)
	}

	// A plain member sees the members but no management forms, and
	// cannot post changes.
	bob := h.Browser()
	bob.SignInAs("bob")
	w = bob.Get(page)
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "ada@example.com") || strings.Contains(body, `value="invite"`) || strings.Contains(body, `value="rename"`) {
		t.Fatalf("member's view:\n%s", body)
	}
	w = bob.Post(page, url.Values{"action": {"rename"}, "name": {"Bob's"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "does not allow") {
		t.Errorf("member rename page:\n%s", w.Body)
	}

	// An outsider gets the same not-found page as for an organization
	// that does not exist.
	eve := h.Browser()
	eve.SignInAs("eve")
	webtest.WantStatus(t, eve.Get(page), http.StatusNotFound)
	webtest.WantStatus(t, eve.Get("/organizations/nope"), http.StatusNotFound)
	eve.Get("/organizations")
	webtest.WantStatus(t, eve.Post(page, url.Values{"action": {"rename"}, "name": {"Eve's"}}), http.StatusNotFound)

	// Bob leaves; deleting the then unheld role works; delete needs the
	// exact name.
	bob.Get(page)
	webtest.WantSeeOther(t, bob.Post(page, url.Values{"action": {"remove"}, "user_id": {"bob"}}), "/organizations?done=left")
	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"delete_role"}, "role_name": {"billing"}}), http.StatusSeeOther)
	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"delete"}, "confirm": {"acme"}}), http.StatusUnprocessableEntity)
	owner.Get(page)
	webtest.WantSeeOther(t, owner.Post(page, url.Values{"action": {"delete"}, "confirm": {"Acme"}}), "/organizations?done=deleted")
	if _, err := h.Store.GetOrg(h.Ctx(), acme); err == nil {
		t.Fatal("organization still exists")
	}
	for _, typ := range []string{"org.role_defined", "member.role_changed", "member.left", "org.role_deleted", "org.deleted"} {
		if len(h.Audits(typ)) != 1 {
			t.Errorf("audit %s: %d events, want 1", typ, len(h.Audits(typ)))
		}
	}
}

// Without a Mailer there are no invitations: no form, and one posted
// anyway is refused before anything is stored. Without single sign-on its
// forms are not found.
func TestOptionalPartsOff(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	pages, err := New(Pages{Site: h.Site(), Store: h.Store,
		Orgs: &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount(pages.Routes())
	h.User("ada", "ada@example.com", orgPW)
	owner := h.Browser()
	owner.SignInAs("ada")
	acme := owner.CreateOrg("Acme")
	page := "/organizations/" + acme
	w := owner.Get(page)
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); strings.Contains(body, `value="invite"`) || strings.Contains(body, `value="sso_set"`) {
		t.Fatalf("the page offers what is off:\n%s", body)
	}
	w = owner.Post(page, url.Values{"action": {"invite"}, "email": {"new@example.com"}, "role": {"member"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if len(h.Audits("member.invited")) != 0 || len(h.Mailer.Sent()) != 0 {
		t.Fatal("an invitation was made without mail")
	}
	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"sso_set"}, "connector": {"corp"}}), http.StatusNotFound)
}

// New names what is missing.
func TestNewNeedsItsDependencies(t *testing.T) {
	t.Parallel()
	if _, err := New(Pages{}); err == nil || !strings.Contains(err.Error(), "Site, Store, Orgs") {
		t.Fatalf("New(Pages{}) = %v", err)
	}
}
