package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

const orgPW = "correct horse battery staple"

// orgWith creates an organization owned by owner through the page, and
// returns its id.
func orgWith(t *testing.T, b *agent, name string) string {
	t.Helper()
	b.get("/organizations")
	w := b.post("/organizations", url.Values{"action": {"create"}, "name": {name}})
	wantStatus(t, w, http.StatusSeeOther)
	loc := w.Header().Get("Location")
	id, ok := strings.CutPrefix(strings.TrimSuffix(loc, "?done=created"), "/organizations/")
	if !ok {
		t.Fatalf("create redirected to %q", loc)
	}
	return id
}

func TestOrganizationsNeedSignIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	wantRedirect(t, b.get("/organizations"), "/login?return_to=%2Forganizations")
	wantRedirect(t, b.get("/organizations/x"), "/login?return_to=%2Forganizations%2Fx")
	w := b.post("/organizations", url.Values{"action": {"create"}, "name": {"X"}})
	if w.Code == http.StatusSeeOther {
		t.Fatal("a signed-out POST created an organization")
	}
}

func TestCreateAndSwitchOrganization(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	b := h.browser()
	b.signIn("ada@example.com", orgPW)
	acme := orgWith(t, b, "Acme")
	globex := orgWith(t, b, "Globex")
	m, err := h.store.GetMembership(h.ctx(), acme, "ada")
	if err != nil || m.Role != "owner" {
		t.Fatalf("creator membership = %+v, %v", m, err)
	}
	w := b.get("/organizations")
	body := w.Body.String()
	if !strings.Contains(body, "Acme") || !strings.Contains(body, "Globex") {
		t.Fatalf("list lacks the organizations:\n%s", body)
	}

	// The switcher sets the session's active organization, which the
	// login's organization picker and the tokens use.
	wantStatus(t, b.post("/organizations", url.Values{"action": {"switch"}, "org_id": {globex}}), http.StatusSeeOther)
	if s, _ := b.session(); s.OrgID != globex {
		t.Fatalf("active organization = %q, want %q", s.OrgID, globex)
	}
	// Not a member: refused, nothing changes.
	h.store.CreateOrg(h.ctx(), storage.Organization{ID: "foreign", Name: "Foreign"})
	b.get("/organizations")
	wantStatus(t, b.post("/organizations", url.Values{"action": {"switch"}, "org_id": {"foreign"}}), http.StatusUnprocessableEntity)
	if s, _ := b.session(); s.OrgID != globex {
		t.Fatalf("active organization after a refused switch = %q", s.OrgID)
	}
	// A taken name says so on the page.
	b.get("/organizations")
	w = b.post("/organizations", url.Values{"action": {"create"}, "name": {"Acme"}})
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "exists already") {
		t.Errorf("taken name page:\n%s", w.Body)
	}
	if len(h.audits("org.created")) != 2 {
		t.Errorf("org.created audit events = %d, want 2", len(h.audits("org.created")))
	}
}

func TestOrganizationFormsNeedCSRF(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	b := h.browser()
	b.signIn("ada@example.com", orgPW)
	acme := orgWith(t, b, "Acme")
	for _, form := range []url.Values{
		{"action": {"rename"}, "name": {"Hijacked"}},
		{"action": {"delete"}, "confirm": {"Acme"}},
		{"action": {"define_role"}, "role_name": {"evil"}},
	} {
		form.Set("csrf_token", "forged")
		wantStatus(t, b.do(http.MethodPost, "/organizations/"+acme, form), http.StatusForbidden)
	}
	wantStatus(t, b.do(http.MethodPost, "/organizations", url.Values{"action": {"create"}, "name": {"X"}, "csrf_token": {"forged"}}),
		http.StatusForbidden)
	org, err := h.store.GetOrg(h.ctx(), acme)
	if err != nil || org.Name != "Acme" {
		t.Fatalf("organization after forged posts = %+v, %v", org, err)
	}
	roles, _ := h.store.ListOrgRoles(h.ctx(), acme)
	if len(roles) != 0 {
		t.Errorf("forged post defined a role: %+v", roles)
	}
}

func TestMembersAndRolesThroughThePage(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	h.user("bob", "bob@example.com", orgPW)
	h.user("eve", "eve@example.com", orgPW)
	owner := h.browser()
	owner.signIn("ada@example.com", orgPW)
	acme := orgWith(t, owner, "Acme")
	if err := h.store.AddMembership(h.ctx(), storage.Membership{OrgID: acme, UserID: "bob", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	page := "/organizations/" + acme

	owner.get(page)
	wantStatus(t, owner.post(page, url.Values{"action": {"define_role"}, "role_name": {"billing"}, "description": {"Invoices"}}), http.StatusSeeOther)
	owner.get(page)
	wantStatus(t, owner.post(page, url.Values{"action": {"set_role"}, "user_id": {"bob"}, "role": {"billing"}}), http.StatusSeeOther)
	if m, _ := h.store.GetMembership(h.ctx(), acme, "bob"); m.Role != "billing" {
		t.Fatalf("bob's role = %q, want billing", m.Role)
	}
	// The last owner cannot step down; the page says why.
	owner.get(page)
	w := owner.post(page, url.Values{"action": {"set_role"}, "user_id": {"ada"}, "role": {"member"}})
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "at least one owner") {
		t.Errorf("last-owner refusal page:\n%s", w.Body)
	}

	// A plain member sees the members but no management forms, and
	// cannot post changes.
	bob := h.browser()
	bob.signIn("bob@example.com", orgPW)
	w = bob.get(page)
	wantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "ada@example.com") || strings.Contains(body, `value="invite"`) || strings.Contains(body, `value="rename"`) {
		t.Fatalf("member's view:\n%s", body)
	}
	w = bob.post(page, url.Values{"action": {"rename"}, "name": {"Bob's"}})
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "does not allow") {
		t.Errorf("member rename page:\n%s", w.Body)
	}

	// An outsider gets the same not-found page as for an organization
	// that does not exist.
	eve := h.browser()
	eve.signIn("eve@example.com", orgPW)
	wantStatus(t, eve.get(page), http.StatusNotFound)
	wantStatus(t, eve.get("/organizations/nope"), http.StatusNotFound)
	eve.get("/organizations")
	wantStatus(t, eve.post(page, url.Values{"action": {"rename"}, "name": {"Eve's"}}), http.StatusNotFound)

	// Bob leaves; deleting the then unheld role works; delete needs the
	// exact name.
	bob.get(page)
	wantRedirectSeeOther(t, bob.post(page, url.Values{"action": {"remove"}, "user_id": {"bob"}}), "/organizations?done=left")
	owner.get(page)
	wantStatus(t, owner.post(page, url.Values{"action": {"delete_role"}, "role_name": {"billing"}}), http.StatusSeeOther)
	owner.get(page)
	wantStatus(t, owner.post(page, url.Values{"action": {"delete"}, "confirm": {"acme"}}), http.StatusUnprocessableEntity)
	owner.get(page)
	wantRedirectSeeOther(t, owner.post(page, url.Values{"action": {"delete"}, "confirm": {"Acme"}}), "/organizations?done=deleted")
	if _, err := h.store.GetOrg(h.ctx(), acme); err == nil {
		t.Fatal("organization still exists")
	}
	for _, typ := range []string{"org.role_defined", "member.role_changed", "member.left", "org.role_deleted", "org.deleted"} {
		if len(h.audits(typ)) != 1 {
			t.Errorf("audit %s: %d events, want 1", typ, len(h.audits(typ)))
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
func invitationLink(t *testing.T, h *harness, b *agent, orgID, email, role string) string {
	t.Helper()
	page := "/organizations/" + orgID
	b.get(page)
	wantStatus(t, b.post(page, url.Values{"action": {"invite"}, "email": {email}, "role": {role}}), http.StatusSeeOther)
	m := h.mailer.last(t)
	if m.to != email || m.template != "invite" {
		t.Fatalf("mail = %+v", m)
	}
	link := m.link()
	rest, ok := strings.CutPrefix(link, issuer)
	if !ok {
		t.Fatalf("invitation link %q is not under the issuer", link)
	}
	return rest
}

func TestInvitationCreatesTheAccount(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	owner := h.browser()
	owner.signIn("ada@example.com", orgPW)
	acme := orgWith(t, owner, "Acme")
	link := invitationLink(t, h, owner, acme, "new@example.com", "admin")

	guest := h.browser()
	w := guest.get(link)
	wantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "Acme") || !strings.Contains(body, "Create account and join") {
		t.Fatalf("invitation page:\n%s", body)
	}
	// Weak password: the page says so, nothing is created.
	w = guest.post(link, url.Values{"name": {"New"}, "password": {"short"}, "password_confirm": {"short"}})
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if _, err := h.store.GetUserByEmail(h.ctx(), "new@example.com"); err == nil {
		t.Fatal("a refused registration created the account")
	}
	w = guest.post(link, url.Values{"name": {"New Person"}, "password": {orgPW}, "password_confirm": {orgPW}})
	wantRedirectSeeOther(t, w, "/organizations/"+acme+"?done=joined")
	u, err := h.store.GetUserByEmail(h.ctx(), "new@example.com")
	if err != nil || !u.EmailVerified || u.Name != "New Person" {
		t.Fatalf("new account = %+v, %v", u, err)
	}
	if m, err := h.store.GetMembership(h.ctx(), acme, u.ID); err != nil || m.Role != "admin" {
		t.Fatalf("membership = %+v, %v", m, err)
	}
	if s, ok := guest.session(); !ok || s.UserID != u.ID {
		t.Fatalf("the new member is not signed in: %+v %v", s, ok)
	}
	// The link worked once.
	wantStatus(t, h.browser().get(link), http.StatusGone)
}

func TestInvitationForAnExistingAccount(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	h.user("bob", "bob@example.com", orgPW)
	h.user("eve", "eve@example.com", orgPW)
	owner := h.browser()
	owner.signIn("ada@example.com", orgPW)
	acme := orgWith(t, owner, "Acme")
	link := invitationLink(t, h, owner, acme, "bob@example.com", "member")

	// Signed out: the page asks to sign in and comes back.
	w := h.browser().get(link)
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "/login?return_to=") {
		t.Fatalf("signed-out page for an existing account:\n%s", w.Body)
	}
	// Someone else signed in cannot use it.
	eve := h.browser()
	eve.signIn("eve@example.com", orgPW)
	w = eve.get(link)
	if !strings.Contains(w.Body.String(), "You are signed in as eve@example.com") {
		t.Fatalf("page for the wrong account:\n%s", w.Body)
	}
	wantStatus(t, eve.post(link, url.Values{}), http.StatusConflict)
	if _, err := h.store.GetMembership(h.ctx(), acme, "eve"); err == nil {
		t.Fatal("the wrong account joined")
	}
	bob := h.browser()
	bob.signIn("bob@example.com", orgPW)
	bob.get(link)
	wantRedirectSeeOther(t, bob.post(link, url.Values{}), "/organizations/"+acme+"?done=joined")
	if m, err := h.store.GetMembership(h.ctx(), acme, "bob"); err != nil || m.Role != "member" {
		t.Fatalf("membership = %+v, %v", m, err)
	}
	if len(h.audits("member.joined")) != 1 || len(h.audits("member.invited")) != 1 {
		t.Errorf("audit: joined %d, invited %d", len(h.audits("member.joined")), len(h.audits("member.invited")))
	}
	wantStatus(t, h.browser().get("/invitations/accept?org="+acme+"&token=forged"), http.StatusGone)
}

// The account page lists the same organizations as the login's picker
// and switches the active one, coming back to the account page.
func TestAccountPageOrganizationSwitcher(t *testing.T) {
	h := newHarness(t)
	h.user("ada", "ada@example.com", orgPW)
	b := h.browser()
	b.signIn("ada@example.com", orgPW)
	orgWith(t, b, "Acme")
	globex := orgWith(t, b, "Globex")
	w := b.get("/account")
	wantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "Acme") || !strings.Contains(body, "Globex") || !strings.Contains(body, "Make active") {
		t.Fatalf("account page lacks the organization switcher:\n%s", body)
	}
	w = b.post("/organizations", url.Values{"action": {"switch"}, "org_id": {globex}, "return_to": {"account"}})
	wantRedirectSeeOther(t, w, "/account?done=org")
	if s, _ := b.session(); s.OrgID != globex {
		t.Fatalf("active organization = %q, want %q", s.OrgID, globex)
	}
	if body := b.get("/account?done=org").Body.String(); !strings.Contains(body, "Active organization changed") {
		t.Errorf("no notice after switching:\n%s", body)
	}
}
