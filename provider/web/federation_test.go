package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

// withUpstream turns federation on with one OIDC connector, "corp", to a
// fake upstream on 127.0.0.1.
func (h *harness) withUpstream(person fakeidp.Person, mutate ...func(*connectors.Config)) *fakeidp.Server {
	h.t.Helper()
	up := fakeidp.New(person)
	h.t.Cleanup(up.Close)
	cfg := connectors.Config{ID: "corp", Type: connectors.TypeOIDC, Name: "Corp SSO", Issuer: up.URL,
		ClientID: up.ClientID, ClientSecret: up.ClientSecret}
	for _, m := range mutate {
		m(&cfg)
	}
	set, err := connectors.NewSet([]connectors.Config{cfg}, connectors.Deps{Now: h.clock.now})
	if err != nil {
		h.t.Fatal(err)
	}
	h.pages.Federation = &Federation{Connectors: set, Store: h.store}
	h.pages.People = &People{Store: h.store, Mailer: h.mailer, Registration: true}
	up.Now = h.clock.now
	return up
}

var ada = fakeidp.Person{Subject: "upstream-ada", Email: "ada@corp.example", Name: "Ada Corp", EmailVerified: true}

// startUpstream clicks "Sign in with Corp SSO" on the login page of the
// parked request (if any) and follows the upstream's instant approval; it
// returns the callback path with query that the upstream sent back.
func (a *agent) startUpstream(requestID string) string {
	a.h.t.Helper()
	login, start := "/login", "/login/upstream/corp"
	if requestID != "" {
		login += "?request=" + requestID
		start += "?request=" + requestID
	}
	page := a.get(login)
	if !strings.Contains(page.Body.String(), "Sign in with Corp SSO") {
		a.h.t.Fatalf("login page has no upstream button:\n%s", page.Body)
	}
	w := a.post(start, url.Values{})
	if w.Code != http.StatusSeeOther {
		a.h.t.Fatalf("start: status %d\n%s", w.Code, w.Body)
	}
	return a.followUpstream(w.Header().Get("Location"))
}

// followUpstream asks the upstream's authorization endpoint and returns
// where it sends the browser back to (path and query at the broker).
func (a *agent) followUpstream(authURL string) string {
	a.h.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		a.h.t.Fatalf("upstream authorize: %v", err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), issuer+PathUpstreamCallback) {
		a.h.t.Fatalf("upstream sent the browser to %q (status %d)", resp.Header.Get("Location"), resp.StatusCode)
	}
	return back.Path + "?" + back.RawQuery
}

func (h *harness) userCount() int {
	h.t.Helper()
	us, err := h.store.ListUsers(h.ctx())
	if err != nil {
		h.t.Fatal(err)
	}
	return len(us)
}

func (h *harness) noIdentity(subject string) {
	h.t.Helper()
	if _, err := h.store.GetIdentity(h.ctx(), h.pages.Federation.Connectors.Enabled()[0].Config().Issuer, subject); err == nil {
		h.t.Fatalf("an identity for %s was linked", subject)
	}
}

func wantPage(t *testing.T, w interface {
	Result() *http.Response
}, body string, code int, texts ...string) {
	t.Helper()
	if got := w.Result().StatusCode; got != code {
		t.Fatalf("status %d, want %d\n%s", got, code, body)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Fatalf("page lacks %q:\n%s", s, body)
		}
	}
}

func TestUpstreamJustInTime(t *testing.T) {
	h := newHarness(t)
	h.withUpstream(ada)
	h.client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
	h.authRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	a := h.browser()
	cb := a.startUpstream("req1")
	w := a.get(cb)
	wantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in", `http-equiv="refresh"`, "/oauth2/authorize/resume?request=req1")
	sess, ok := a.session()
	if !ok || sess.IdP != "corp" || len(sess.AMR) != 1 || sess.AMR[0] != "fed" {
		t.Fatalf("session %+v (signed in %v), want idp corp and amr [fed]", sess, ok)
	}
	u, err := h.store.GetUser(h.ctx(), sess.UserID)
	if err != nil || u.Email != "ada@corp.example" || !u.EmailVerified || u.PasswordHash != "" {
		t.Fatalf("just-in-time user %+v (%v)", u, err)
	}
	if ar := h.authReq("req1"); ar.SessionID != sess.ID || ar.LoginAt.IsZero() {
		t.Fatalf("request not bound to the new session: %+v", ar)
	}
	// The state is single use: replaying the callback changes nothing.
	n := h.userCount()
	w = a.get(cb)
	wantPage(t, w, w.Body.String(), http.StatusBadRequest, "This sign-in has expired")
	if h.userCount() != n {
		t.Fatal("a replayed callback made an account")
	}
}

// Every way an upstream sign-in can go wrong ends on a page that says so,
// and makes no account, no identity and no session.
func TestUpstreamFailures(t *testing.T) {
	type result struct {
		status int
		texts  []string
	}
	verifyFailed := result{http.StatusBadGateway, []string{"Sign-in could not be verified", "Go back to Notes"}}
	down := result{http.StatusBadGateway, []string{"Corp SSO is not answering", "Go back to Notes"}}
	for _, tc := range []struct {
		name string
		// run returns the final response's body and status.
		run  func(h *harness, up *fakeidp.Server, a *agent) (int, string)
		want result
	}{
		{"bad signature", misbehaving(fakeidp.BadSignature), verifyFailed},
		{"wrong audience", misbehaving(fakeidp.WrongAud), verifyFailed},
		{"expired", misbehaving(fakeidp.Expired), verifyFailed},
		{"wrong nonce", misbehaving(fakeidp.WrongNonce), verifyFailed},
		{"denied upstream", misbehaving(fakeidp.Deny), result{http.StatusForbidden, []string{"Sign-in was cancelled", "Go back to Notes"}}},
		{"forged state", func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
			a.startUpstream("req1")
			w := a.get(PathUpstreamCallback + "?state=forged-state&code=whatever")
			return w.Code, w.Body.String()
		}, result{http.StatusBadRequest, []string{"This sign-in has expired", "Start signing in again"}}},
		{"state from another browser", func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
			cb := a.startUpstream("req1")
			w := h.browser().get(cb)
			return w.Code, w.Body.String()
		}, result{http.StatusBadRequest, []string{"This sign-in started in another browser"}}},
		{"upstream down at the start", func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
			up.Close()
			a.get("/login?request=req1")
			w := a.post("/login/upstream/corp?request=req1", url.Values{})
			return w.Code, w.Body.String()
		}, down},
		{"upstream down at the token exchange", func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
			cb := a.startUpstream("req1")
			up.Close()
			w := a.get(cb)
			return w.Code, w.Body.String()
		}, down},
		{"unconfirmed upstream address", func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
			up.SetPerson(fakeidp.Person{Subject: "unverified", Email: "eve@corp.example"})
			w := a.get(a.startUpstream("req1"))
			return w.Code, w.Body.String()
		}, result{http.StatusForbidden, []string{"Your email address is not confirmed"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			up := h.withUpstream(ada)
			h.client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
			h.authRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
			before := h.userCount()
			a := h.browser()
			code, body := tc.run(h, up, a)
			if code != tc.want.status {
				t.Fatalf("status %d, want %d\n%s", code, tc.want.status, body)
			}
			for _, s := range tc.want.texts {
				if !strings.Contains(body, s) {
					t.Fatalf("page lacks %q:\n%s", s, body)
				}
			}
			if h.userCount() != before {
				t.Fatal("an account was made")
			}
			h.noIdentity(ada.Subject)
			h.noIdentity("unverified")
			if _, ok := a.session(); ok {
				t.Fatal("the browser was signed in")
			}
			if ar := h.authReq("req1"); ar.SessionID != "" || ar.Denied {
				t.Fatalf("the request changed: %+v", ar)
			}
		})
	}
}

func misbehaving(mode string) func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
	return func(h *harness, up *fakeidp.Server, a *agent) (int, string) {
		up.Misbehave(mode)
		w := a.get(a.startUpstream("req1"))
		return w.Code, w.Body.String()
	}
}

// The application hears access_denied only when the person chooses to go
// back to it from the error page.
func TestUpstreamGoBackToApplication(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(ada)
	up.Misbehave(fakeidp.Deny)
	h.client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
	h.authRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	a := h.browser()
	w := a.get(a.startUpstream("req1"))
	wantPage(t, w, w.Body.String(), http.StatusForbidden, "Sign-in was cancelled", "Try signing in again")
	if h.authReq("req1").Denied {
		t.Fatal("denied before the person chose to go back")
	}
	w = a.post(PathUpstreamCancel, url.Values{"request": {"req1"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("go back: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if !h.authReq("req1").Denied {
		t.Fatal("the request was not marked denied")
	}
	// Without the form's token nothing changes.
	h.authRequest("req2", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	w = a.do(http.MethodPost, PathUpstreamCancel, url.Values{"request": {"req2"}})
	if w.Code != http.StatusForbidden || h.authReq("req2").Denied {
		t.Fatalf("cancel without CSRF token: %d, denied %v", w.Code, h.authReq("req2").Denied)
	}
}

// The account page lists linked providers, links another while signed in,
// and refuses to unlink the last way to sign in.
func TestAccountIdentities(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(ada)

	// A just-in-time account has no password: its one identity stays.
	a := h.browser()
	a.get(a.startUpstream(""))
	page := a.get("/account")
	wantPage(t, page, page.Body.String(), http.StatusOK, "Sign-in providers", "Corp SSO", "ada@corp.example")
	sess, _ := a.session()
	ids, err := h.store.ListIdentitiesByUser(h.ctx(), sess.UserID)
	if err != nil || len(ids) != 1 {
		t.Fatalf("identities %v (%v)", ids, err)
	}
	w := a.post("/account/identities/unlink", url.Values{"identity_id": {ids[0].ID}})
	wantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "This is the only way you can sign in.")
	if ids, _ := h.store.ListIdentitiesByUser(h.ctx(), sess.UserID); len(ids) != 1 {
		t.Fatal("the last identity was unlinked")
	}

	// A password account links Corp from the account page, then unlinks it.
	grace := h.user("grace", "grace@example.com", "grace's password 1906")
	b := h.browser()
	b.signIn("grace@example.com", "grace's password 1906")
	page = b.get("/account")
	if !strings.Contains(page.Body.String(), `data-link="corp"`) {
		t.Fatalf("account page offers no link button:\n%s", page.Body)
	}
	up.SetPerson(fakeidp.Person{Subject: "upstream-grace", Email: "gh@corp.example", EmailVerified: true})
	w = b.post("/login/upstream/corp", url.Values{"action": {"link"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("link start: %d\n%s", w.Code, w.Body)
	}
	w = b.get(b.followUpstream(w.Header().Get("Location")))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account#identities" {
		t.Fatalf("link callback: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	ids, err = h.store.ListIdentitiesByUser(h.ctx(), grace.ID)
	if err != nil || len(ids) != 1 || ids[0].Subject != "upstream-grace" {
		t.Fatalf("grace's identities %v (%v)", ids, err)
	}
	b.get("/account")
	w = b.post("/account/identities/unlink", url.Values{"identity_id": {ids[0].ID}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("unlink: %d\n%s", w.Code, w.Body)
	}
	if ids, _ := h.store.ListIdentitiesByUser(h.ctx(), grace.ID); len(ids) != 0 {
		t.Fatal("identity still linked")
	}
}

// Signing out of a session that came through a connector with upstream
// logout continues at the upstream's end_session_endpoint with the
// upstream's ID token, then comes back.
func TestUpstreamLogout(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(ada, func(c *connectors.Config) { c.UpstreamLogout = true })
	a := h.browser()
	a.get(a.startUpstream(""))
	sess, ok := a.session()
	if !ok || sess.UpstreamIDToken == "" {
		t.Fatalf("session %+v keeps no upstream ID token", sess)
	}
	a.get("/logout")
	w := a.post("/logout", url.Values{"confirm": {"yes"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), up.URL+"/end_session?") {
		t.Fatalf("logout: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := up.EndedSessions(); len(got) != 1 || got[0] != sess.UpstreamIDToken {
		t.Fatalf("end_session saw hints %v", got)
	}
	back, _ := url.Parse(resp.Header.Get("Location"))
	if back.Path != PathUpstreamLogoutDone {
		t.Fatalf("upstream sent the browser to %q", resp.Header.Get("Location"))
	}
	w = a.get(back.Path + "?" + back.RawQuery)
	wantPage(t, w, w.Body.String(), http.StatusOK, "You are signed out")
	if _, ok := a.session(); ok {
		t.Fatal("still signed in")
	}

	// Without the opt-in, logout stays here and no ID token is kept.
	h2 := newHarness(t)
	h2.withUpstream(ada)
	b := h2.browser()
	b.get(b.startUpstream(""))
	if s, _ := b.session(); s.UpstreamIDToken != "" {
		t.Fatal("upstream ID token kept without upstream logout")
	}
	b.get("/logout")
	w = b.post("/logout", url.Values{"confirm": {"yes"}})
	wantPage(t, w, w.Body.String(), http.StatusOK, "You are signed out")
}

// The owner of an existing account can prove it by an emailed link instead
// of the password; the link works only in the browser that signed in
// upstream.
func TestUpstreamLinkByMail(t *testing.T) {
	h := newHarness(t)
	h.withUpstream(ada)
	owner := h.user("ada", "ada@corp.example", "ada's password here 1815")
	a := h.browser()
	w := a.get(a.startUpstream(""))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != PathUpstreamLink {
		t.Fatalf("callback: %d to %q", w.Code, w.Header().Get("Location"))
	}
	page := a.get(PathUpstreamLink)
	wantPage(t, page, page.Body.String(), http.StatusOK, "Link your Corp SSO sign-in", "Email me a link instead")
	w = a.post(PathUpstreamLink, url.Values{"action": {"mail"}})
	wantPage(t, w, w.Body.String(), http.StatusOK, "We sent a link to ada@corp.example")
	m := h.mailer.last(t)
	data, ok := m.data.(mail.UpstreamLink)
	if m.to != "ada@corp.example" || m.template != "upstream_link" || !ok {
		t.Fatalf("mail %+v", m)
	}
	link, _ := url.Parse(data.Link)
	target := link.Path + "?" + link.RawQuery
	sealer, err := secrets.NewSealer([][]byte{make([]byte, secrets.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := mail.NewOutbox(nil, templates.Mail, sealer, h.clock.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	subject, text, htmlBody, err := outbox.Render(data)
	if err != nil || subject != "Link your Corp SSO sign-in" || !strings.Contains(text, data.Link) || !strings.Contains(htmlBody, "ada@corp.example") {
		t.Fatalf("mail renders %q / %q / %q (%v)", subject, text, htmlBody, err)
	}

	// Another browser with the mail links nothing.
	other := h.browser()
	w = other.get(target)
	wantPage(t, w, w.Body.String(), http.StatusBadRequest, "Open the link in the same browser")
	h.noIdentity(ada.Subject)

	w = a.get(target)
	wantPage(t, w, w.Body.String(), http.StatusOK, "Link it to the account")
	h.noIdentity(ada.Subject) // GET alone changes nothing
	w = a.post(PathUpstreamLinkMail, url.Values{"token": {link.Query().Get("token")}})
	wantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in")
	ident, err := h.store.GetIdentity(h.ctx(), h.pages.Federation.Connectors.Enabled()[0].Config().Issuer, ada.Subject)
	if err != nil || ident.UserID != owner.ID {
		t.Fatalf("identity %+v (%v), want linked to %s", ident, err, owner.ID)
	}
	if s, ok := a.session(); !ok || s.UserID != owner.ID || s.IdP != "corp" {
		t.Fatalf("session %+v", s)
	}
	// The link is single use.
	w = a.post(PathUpstreamLinkMail, url.Values{"token": {link.Query().Get("token")}})
	if w.Code == http.StatusOK {
		t.Fatalf("link used twice:\n%s", w.Body)
	}
}

// An organization owner sets up single sign-on on the organization page;
// then an address of the verified domain signs in through the upstream
// and joins with the mapped role, and passwords for it are refused.
func TestOrgSSOPageAndHomeRealm(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(fakeidp.Person{Subject: "bea", Email: "bea@acme.example", EmailVerified: true, Groups: []string{"eng"}})
	h.pages.Federation.Orgs = &orgsso.Service{Store: h.store, Audit: h.store, Orgs: h.pages.Orgs, Connectors: h.pages.Federation.Connectors.(*connectors.Set),
		Resolver: orgsso.NewResolver("127.0.0.1:1"), Now: h.clock.now}
	h.user("olga", "olga@acme.example", "olga's password 1234")
	if err := h.store.CreateOrg(h.ctx(), storage.Organization{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.AddMembership(h.ctx(), storage.Membership{OrgID: "acme", UserID: "olga", Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	olga := h.browser()
	olga.signIn("olga@acme.example", "olga's password 1234")
	page := olga.get("/organizations/acme")
	wantPage(t, page, page.Body.String(), http.StatusOK, "Single sign-on", "Corp SSO")
	w := olga.post("/organizations/acme", url.Values{"action": {"sso_set"}, "connector": {"corp"}, "default_role": {"member"},
		"group_roles": {"eng=admin\n"}, "forbid_password": {"1"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sso_set: %d\n%s", w.Code, w.Body)
	}
	olga.get("/organizations/acme")
	w = olga.post("/organizations/acme", url.Values{"action": {"domain_add"}, "domain": {"Acme.example"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("domain_add: %d\n%s", w.Code, w.Body)
	}
	page = olga.get("/organizations/acme")
	wantPage(t, page, page.Body.String(), http.StatusOK, "_ostiary-challenge.acme.example", "ostiary-domain-verification=")
	// No DNS answers at 127.0.0.1:1: the check fails with a clear message.
	w = olga.post("/organizations/acme", url.Values{"action": {"domain_verify"}, "domain": {"acme.example"}})
	wantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "The TXT record was not found yet")
	// The page's changes are audited like the admin API's and the CLI's.
	for _, typ := range []string{"org.sso_updated", "org.domain_added"} {
		if evs := h.audits(typ); len(evs) != 1 || evs[0].OrgID != "acme" {
			t.Errorf("audit %s: %+v", typ, evs)
		}
	}
	if evs := h.audits("org.domain_verified"); len(evs) != 0 {
		t.Errorf("a failed DNS check was audited as verified: %+v", evs)
	}

	// Unverified, the domain changes nothing at sign-in.
	if msg, _ := h.pages.passwordRefused(h.ctx(), "olga@acme.example"); msg != "" {
		t.Fatalf("password refused for an unverified domain: %s", msg)
	}
	if err := h.store.VerifyOrgDomain(h.ctx(), "acme", "acme.example", h.clock.now()); err != nil {
		t.Fatal(err)
	}
	// The owner's own password sign-in is now refused, with a clear message.
	b := h.browser()
	b.get("/login")
	w = b.post("/login", url.Values{"action": {"login"}, "email": {"olga@acme.example"}, "password": {"olga's password 1234"}})
	wantPage(t, w, w.Body.String(), http.StatusForbidden, "Your organization does not allow passwords for this address.")
	if _, ok := b.session(); ok {
		t.Fatal("signed in with a forbidden password")
	}

	// Home-realm discovery: Bea's address goes to Corp SSO; she joins Acme
	// as admin (group eng).
	bea := h.browser()
	bea.get("/login")
	w = bea.post("/login", url.Values{"action": {"login"}, "email": {"bea@acme.example"}, "sso": {"1"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), up.URL+"/authorize?") {
		t.Fatalf("home realm: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	w = bea.get(bea.followUpstream(w.Header().Get("Location")))
	wantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in")
	sess, _ := bea.session()
	m, err := h.store.GetMembership(h.ctx(), "acme", sess.UserID)
	if err != nil || m.Role != "admin" || sess.OrgID != "acme" {
		t.Fatalf("membership %+v (%v), session org %q", m, err, sess.OrgID)
	}
	// An address of another domain gets a clear answer.
	c := h.browser()
	c.get("/login")
	w = c.post("/login", url.Values{"action": {"login"}, "email": {"cy@elsewhere.example"}, "sso": {"1"}})
	wantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "Single sign-on is not set up for this address.")
}
