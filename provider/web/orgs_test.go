package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

const orgPW = "correct horse battery staple"

// orgWith creates an organization owned by owner through the page, and
// returns its id.
func orgWith(t *testing.T, b *webtest.Agent, name string) string {
	t.Helper()
	b.Get("/organizations")
	w := b.Post("/organizations", url.Values{"action": {"create"}, "name": {name}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	loc := w.Header().Get("Location")
	id, ok := strings.CutPrefix(strings.TrimSuffix(loc, "?done=created"), "/organizations/")
	if !ok {
		t.Fatalf("create redirected to %q", loc)
	}
	return id
}

func TestOrganizationsNeedSignIn(t *testing.T) {
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
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	b.SignIn("ada@example.com", orgPW)
	acme := orgWith(t, b, "Acme")
	globex := orgWith(t, b, "Globex")
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
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	b.SignIn("ada@example.com", orgPW)
	acme := orgWith(t, b, "Acme")
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
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	h.User("bob", "bob@example.com", orgPW)
	h.User("eve", "eve@example.com", orgPW)
	owner := h.Browser()
	owner.SignIn("ada@example.com", orgPW)
	acme := orgWith(t, owner, "Acme")
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
	bob.SignIn("bob@example.com", orgPW)
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
	eve.SignIn("eve@example.com", orgPW)
	webtest.WantStatus(t, eve.Get(page), http.StatusNotFound)
	webtest.WantStatus(t, eve.Get("/organizations/nope"), http.StatusNotFound)
	eve.Get("/organizations")
	webtest.WantStatus(t, eve.Post(page, url.Values{"action": {"rename"}, "name": {"Eve's"}}), http.StatusNotFound)

	// Bob leaves; deleting the then unheld role works; delete needs the
	// exact name.
	bob.Get(page)
	wantRedirectSeeOther(t, bob.Post(page, url.Values{"action": {"remove"}, "user_id": {"bob"}}), "/organizations?done=left")
	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"delete_role"}, "role_name": {"billing"}}), http.StatusSeeOther)
	owner.Get(page)
	webtest.WantStatus(t, owner.Post(page, url.Values{"action": {"delete"}, "confirm": {"acme"}}), http.StatusUnprocessableEntity)
	owner.Get(page)
	wantRedirectSeeOther(t, owner.Post(page, url.Values{"action": {"delete"}, "confirm": {"Acme"}}), "/organizations?done=deleted")
	if _, err := h.Store.GetOrg(h.Ctx(), acme); err == nil {
		t.Fatal("organization still exists")
	}
	for _, typ := range []string{"org.role_defined", "member.role_changed", "member.left", "org.role_deleted", "org.deleted"} {
		if len(h.Audits(typ)) != 1 {
			t.Errorf("audit %s: %d events, want 1", typ, len(h.Audits(typ)))
		}
	}
}

func wantRedirectSeeOther(t *testing.T, w interface {
	Result() *http.Response
}, location string) {
	t.Helper()
	res := w.Result()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), location)
	}
}

// invitationLink invites email into orgID through the page and returns
// the link's path and query from the mail.
func invitationLink(t *testing.T, h *harness, b *webtest.Agent, orgID, email, role string) string {
	t.Helper()
	page := "/organizations/" + orgID
	b.Get(page)
	webtest.WantStatus(t, b.Post(page, url.Values{"action": {"invite"}, "email": {email}, "role": {role}}), http.StatusSeeOther)
	m := h.Mailer.Last(t)
	if m.To != email || m.Template != "invite" {
		t.Fatalf("mail = %+v", m)
	}
	link := m.Link()
	rest, ok := strings.CutPrefix(link, webtest.Issuer)
	if !ok {
		t.Fatalf("invitation link %q is not under the issuer", link)
	}
	return rest
}

func TestInvitationCreatesTheAccount(t *testing.T) {
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	owner := h.Browser()
	owner.SignIn("ada@example.com", orgPW)
	acme := orgWith(t, owner, "Acme")
	link := invitationLink(t, h, owner, acme, "new@example.com", "admin")

	guest := h.Browser()
	w := guest.Get(link)
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "Acme") || !strings.Contains(body, "Create account and join") {
		t.Fatalf("invitation page:\n%s", body)
	}
	// Weak password: the page says so, nothing is created.
	w = guest.Post(link, url.Values{"name": {"New"}, "password": {"short"}, "password_confirm": {"short"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if _, err := h.Store.GetUserByEmail(h.Ctx(), "new@example.com"); err == nil {
		t.Fatal("a refused registration created the account")
	}
	w = guest.Post(link, url.Values{"name": {"New Person"}, "password": {orgPW}, "password_confirm": {orgPW}})
	wantRedirectSeeOther(t, w, "/organizations/"+acme+"?done=joined")
	u, err := h.Store.GetUserByEmail(h.Ctx(), "new@example.com")
	if err != nil || !u.EmailVerified || u.Name != "New Person" {
		t.Fatalf("new account = %+v, %v", u, err)
	}
	if m, err := h.Store.GetMembership(h.Ctx(), acme, u.ID); err != nil || m.Role != "admin" {
		t.Fatalf("membership = %+v, %v", m, err)
	}
	if s, ok := guest.Session(); !ok || s.UserID != u.ID {
		t.Fatalf("the new member is not signed in: %+v %v", s, ok)
	}
	// The link worked once.
	webtest.WantStatus(t, h.Browser().Get(link), http.StatusGone)
}

func TestInvitationForAnExistingAccount(t *testing.T) {
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	h.User("bob", "bob@example.com", orgPW)
	h.User("eve", "eve@example.com", orgPW)
	owner := h.Browser()
	owner.SignIn("ada@example.com", orgPW)
	acme := orgWith(t, owner, "Acme")
	link := invitationLink(t, h, owner, acme, "bob@example.com", "member")

	// Signed out: the page asks to sign in and comes back.
	w := h.Browser().Get(link)
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "/login?return_to=") {
		t.Fatalf("signed-out page for an existing account:\n%s", w.Body)
	}
	// Someone else signed in cannot use it.
	eve := h.Browser()
	eve.SignIn("eve@example.com", orgPW)
	w = eve.Get(link)
	if !strings.Contains(w.Body.String(), "You are signed in as eve@example.com") {
		t.Fatalf("page for the wrong account:\n%s", w.Body)
	}
	webtest.WantStatus(t, eve.Post(link, url.Values{}), http.StatusConflict)
	if _, err := h.Store.GetMembership(h.Ctx(), acme, "eve"); err == nil {
		t.Fatal("the wrong account joined")
	}
	bob := h.Browser()
	bob.SignIn("bob@example.com", orgPW)
	bob.Get(link)
	wantRedirectSeeOther(t, bob.Post(link, url.Values{}), "/organizations/"+acme+"?done=joined")
	if m, err := h.Store.GetMembership(h.Ctx(), acme, "bob"); err != nil || m.Role != "member" {
		t.Fatalf("membership = %+v, %v", m, err)
	}
	if len(h.Audits("member.joined")) != 1 || len(h.Audits("member.invited")) != 1 {
		t.Errorf("audit: joined %d, invited %d", len(h.Audits("member.joined")), len(h.Audits("member.invited")))
	}
	webtest.WantStatus(t, h.Browser().Get("/invitations/accept?org="+acme+"&token=forged"), http.StatusGone)
}

// The account page lists the same organizations as the login's picker
// and switches the active one, coming back to the account page.
func TestAccountPageOrganizationSwitcher(t *testing.T) {
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	b.SignIn("ada@example.com", orgPW)
	orgWith(t, b, "Acme")
	globex := orgWith(t, b, "Globex")
	w := b.Get("/account")
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "Acme") || !strings.Contains(body, "Globex") || !strings.Contains(body, "Make active") {
		t.Fatalf("account page lacks the organization switcher:\n%s", body)
	}
	w = b.Post("/organizations", url.Values{"action": {"switch"}, "org_id": {globex}, "return_to": {"account"}})
	wantRedirectSeeOther(t, w, "/account?done=org")
	if s, _ := b.Session(); s.OrgID != globex {
		t.Fatalf("active organization = %q, want %q", s.OrgID, globex)
	}
	if body := b.Get("/account?done=org").Body.String(); !strings.Contains(body, "Active organization changed") {
		t.Errorf("no notice after switching:\n%s", body)
	}
}
