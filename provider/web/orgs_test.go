package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/web/webtest"
)

// These tests pass through the organization pages (web/orgs) to the pages
// still here: accepting an invitation, and the account page's switcher.

const orgPW = "correct horse battery staple"

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
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	owner := h.Browser()
	owner.SignIn("ada@example.com", orgPW)
	acme := owner.CreateOrg("Acme")
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
	webtest.WantSeeOther(t, w, "/organizations/"+acme+"?done=joined")
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
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	h.User("bob", "bob@example.com", orgPW)
	h.User("eve", "eve@example.com", orgPW)
	owner := h.Browser()
	owner.SignIn("ada@example.com", orgPW)
	acme := owner.CreateOrg("Acme")
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
	webtest.WantSeeOther(t, bob.Post(link, url.Values{}), "/organizations/"+acme+"?done=joined")
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
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@example.com", orgPW)
	b := h.Browser()
	b.SignIn("ada@example.com", orgPW)
	b.CreateOrg("Acme")
	globex := b.CreateOrg("Globex")
	w := b.Get("/account")
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "Acme") || !strings.Contains(body, "Globex") || !strings.Contains(body, "Make active") {
		t.Fatalf("account page lacks the organization switcher:\n%s", body)
	}
	w = b.Post("/organizations", url.Values{"action": {"switch"}, "org_id": {globex}, "return_to": {"account"}})
	webtest.WantSeeOther(t, w, "/account?done=org")
	if s, _ := b.Session(); s.OrgID != globex {
		t.Fatalf("active organization = %q, want %q", s.OrgID, globex)
	}
	if body := b.Get("/account?done=org").Body.String(); !strings.Contains(body, "Active organization changed") {
		t.Errorf("no notice after switching:\n%s", body)
	}
}
