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
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

// withUpstream turns federation on with one OIDC connector, "corp", to a
// fake upstream on 127.0.0.1.
func (h *harness) withUpstream(person fakeidp.Person, mutate ...func(*connectors.Config)) *fakeidp.Server {
	h.T.Helper()
	up := fakeidp.New(person)
	h.T.Cleanup(up.Close)
	cfg := connectors.Config{ID: "corp", Type: connectors.TypeOIDC, Name: "Corp SSO", Issuer: up.URL,
		ClientID: up.ClientID, ClientSecret: up.ClientSecret}
	for _, m := range mutate {
		m(&cfg)
	}
	set, err := connectors.NewSet([]connectors.Config{cfg}, connectors.Deps{Now: h.Clock.Now})
	if err != nil {
		h.T.Fatal(err)
	}
	h.pages.Federation = &Federation{Connectors: set, Store: h.Store}
	h.pages.Registration, h.pages.PasswordReset = true, true
	h.pages.LinkMail = &selfservice.MailCap{Store: h.Store, Outbox: h.Mailer, Now: h.Clock.Now, Logger: h.Logger}
	h.account.Identities = &account.Identities{Connectors: set, Store: h.Store, Transactor: h.Store}
	h.mount()
	up.Now = h.Clock.Now
	return up
}

var ada = fakeidp.Person{Subject: "upstream-ada", Email: "ada@corp.example", Name: "Ada Corp", EmailVerified: true}

// startUpstream clicks "Sign in with Corp SSO" on the login page of the
// parked request (if any) and follows the upstream's instant approval; it
// returns the callback path with query that the upstream sent back.
func startUpstream(a *webtest.Agent, requestID string) string {
	a.Env.T.Helper()
	login, start := "/login", "/login/upstream/corp"
	if requestID != "" {
		login += "?request=" + requestID
		start += "?request=" + requestID
	}
	page := a.Get(login)
	if !strings.Contains(page.Body.String(), "Sign in with Corp SSO") {
		a.Env.T.Fatalf("login page has no upstream button:\n%s", page.Body)
	}
	w := a.Post(start, url.Values{})
	if w.Code != http.StatusSeeOther {
		a.Env.T.Fatalf("start: status %d\n%s", w.Code, w.Body)
	}
	return followUpstream(a, w.Header().Get("Location"))
}

// followUpstream asks the upstream's authorization endpoint and returns
// where it sends the browser back to (path and query at the broker).
func followUpstream(a *webtest.Agent, authURL string) string {
	a.Env.T.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		a.Env.T.Fatalf("upstream authorize: %v", err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), webtest.Issuer+PathUpstreamCallback) {
		a.Env.T.Fatalf("upstream sent the browser to %q (status %d)", resp.Header.Get("Location"), resp.StatusCode)
	}
	return back.Path + "?" + back.RawQuery
}

func (h *harness) userCount() int {
	h.T.Helper()
	us, err := h.Store.ListUsers(h.Ctx())
	if err != nil {
		h.T.Fatal(err)
	}
	return len(us)
}

func (h *harness) noIdentity(subject string) {
	h.T.Helper()
	if _, err := h.Store.GetIdentity(h.Ctx(), h.pages.Federation.Connectors.Enabled()[0].Config().Issuer, subject); err == nil {
		h.T.Fatalf("an identity for %s was linked", subject)
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
	h.Client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
	h.AuthRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	a := h.Browser()
	cb := startUpstream(a, "req1")
	w := a.Get(cb)
	wantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in", `http-equiv="refresh"`, "/oauth2/authorize/resume?request=req1")
	sess, ok := a.Session()
	if !ok || sess.IdP != "corp" || len(sess.AMR) != 1 || sess.AMR[0] != "fed" {
		t.Fatalf("session %+v (signed in %v), want idp corp and amr [fed]", sess, ok)
	}
	u, err := h.Store.GetUser(h.Ctx(), sess.UserID)
	if err != nil || u.Email != "ada@corp.example" || !u.EmailVerified || u.PasswordHash != "" {
		t.Fatalf("just-in-time user %+v (%v)", u, err)
	}
	if ar := h.AuthReq("req1"); ar.SessionID != sess.ID || ar.LoginAt.IsZero() {
		t.Fatalf("request not bound to the new session: %+v", ar)
	}
	// The state is single use: replaying the callback changes nothing.
	n := h.userCount()
	w = a.Get(cb)
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
		run  func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string)
		want result
	}{
		{"bad signature", misbehaving(fakeidp.BadSignature), verifyFailed},
		{"wrong audience", misbehaving(fakeidp.WrongAud), verifyFailed},
		{"expired", misbehaving(fakeidp.Expired), verifyFailed},
		{"wrong nonce", misbehaving(fakeidp.WrongNonce), verifyFailed},
		{"denied upstream", misbehaving(fakeidp.Deny), result{http.StatusForbidden, []string{"Sign-in was cancelled", "Go back to Notes"}}},
		{"forged state", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			startUpstream(a, "req1")
			w := a.Get(PathUpstreamCallback + "?state=forged-state&code=whatever")
			return w.Code, w.Body.String()
		}, result{http.StatusBadRequest, []string{"This sign-in has expired", "Start signing in again"}}},
		{"state from another browser", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			cb := startUpstream(a, "req1")
			w := h.Browser().Get(cb)
			return w.Code, w.Body.String()
		}, result{http.StatusBadRequest, []string{"This sign-in started in another browser"}}},
		{"upstream down at the start", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			up.Close()
			a.Get("/login?request=req1")
			w := a.Post("/login/upstream/corp?request=req1", url.Values{})
			return w.Code, w.Body.String()
		}, down},
		{"upstream down at the token exchange", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			cb := startUpstream(a, "req1")
			up.Close()
			w := a.Get(cb)
			return w.Code, w.Body.String()
		}, down},
		{"unconfirmed upstream address", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			up.SetPerson(fakeidp.Person{Subject: "unverified", Email: "eve@corp.example"})
			w := a.Get(startUpstream(a, "req1"))
			return w.Code, w.Body.String()
		}, result{http.StatusForbidden, []string{"Your email address is not confirmed"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			up := h.withUpstream(ada)
			h.Client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
			h.AuthRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
			before := h.userCount()
			a := h.Browser()
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
			if _, ok := a.Session(); ok {
				t.Fatal("the browser was signed in")
			}
			if ar := h.AuthReq("req1"); ar.SessionID != "" || ar.Denied {
				t.Fatalf("the request changed: %+v", ar)
			}
		})
	}
}

func misbehaving(mode string) func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
	return func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
		up.Misbehave(mode)
		w := a.Get(startUpstream(a, "req1"))
		return w.Code, w.Body.String()
	}
}

// The application hears access_denied only when the person chooses to go
// back to it from the error page.
func TestUpstreamGoBackToApplication(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(ada)
	up.Misbehave(fakeidp.Deny)
	h.Client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
	h.AuthRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	a := h.Browser()
	w := a.Get(startUpstream(a, "req1"))
	wantPage(t, w, w.Body.String(), http.StatusForbidden, "Sign-in was cancelled", "Try signing in again")
	if h.AuthReq("req1").Denied {
		t.Fatal("denied before the person chose to go back")
	}
	w = a.Post(PathUpstreamCancel, url.Values{"request": {"req1"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("go back: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if !h.AuthReq("req1").Denied {
		t.Fatal("the request was not marked denied")
	}
	// Without the form's token nothing changes.
	h.AuthRequest("req2", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	w = a.Do(http.MethodPost, PathUpstreamCancel, url.Values{"request": {"req2"}})
	if w.Code != http.StatusForbidden || h.AuthReq("req2").Denied {
		t.Fatalf("cancel without CSRF token: %d, denied %v", w.Code, h.AuthReq("req2").Denied)
	}
}

// The account page lists linked providers, links another while signed in,
// and refuses to unlink the last way to sign in.
func TestAccountIdentities(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(ada)

	// A just-in-time account has no password: its one identity stays.
	a := h.Browser()
	a.Get(startUpstream(a, ""))
	page := a.Get("/account")
	wantPage(t, page, page.Body.String(), http.StatusOK, "Sign-in providers", "Corp SSO", "ada@corp.example")
	sess, _ := a.Session()
	ids, err := h.Store.ListIdentitiesByUser(h.Ctx(), sess.UserID)
	if err != nil || len(ids) != 1 {
		t.Fatalf("identities %v (%v)", ids, err)
	}
	w := a.Post("/account/identities/unlink", url.Values{"identity_id": {ids[0].ID}})
	wantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "This is the only way you can sign in.")
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
	w = b.Get(followUpstream(b, w.Header().Get("Location")))
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

// Signing out of a session that came through a connector with upstream
// logout continues at the upstream's end_session_endpoint with the
// upstream's ID token, then comes back.
func TestUpstreamLogout(t *testing.T) {
	h := newHarness(t)
	up := h.withUpstream(ada, func(c *connectors.Config) { c.UpstreamLogout = true })
	a := h.Browser()
	a.Get(startUpstream(a, ""))
	sess, ok := a.Session()
	if !ok || sess.UpstreamIDToken == "" {
		t.Fatalf("session %+v keeps no upstream ID token", sess)
	}
	a.Get("/logout")
	w := a.Post("/logout", url.Values{"confirm": {"yes"}})
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
	w = a.Get(back.Path + "?" + back.RawQuery)
	wantPage(t, w, w.Body.String(), http.StatusOK, "You are signed out")
	if _, ok := a.Session(); ok {
		t.Fatal("still signed in")
	}

	// Without the opt-in, logout stays here and no ID token is kept.
	h2 := newHarness(t)
	h2.withUpstream(ada)
	b := h2.Browser()
	b.Get(startUpstream(b, ""))
	if s, _ := b.Session(); s.UpstreamIDToken != "" {
		t.Fatal("upstream ID token kept without upstream logout")
	}
	b.Get("/logout")
	w = b.Post("/logout", url.Values{"confirm": {"yes"}})
	wantPage(t, w, w.Body.String(), http.StatusOK, "You are signed out")
}

// The owner of an existing account can prove it by an emailed link instead
// of the password; the link works only in the browser that signed in
// upstream.
func TestUpstreamLinkByMail(t *testing.T) {
	h := newHarness(t)
	h.withUpstream(ada)
	owner := h.User("ada", "ada@corp.example", "ada's password here 1815")
	a := h.Browser()
	w := a.Get(startUpstream(a, ""))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != PathUpstreamLink {
		t.Fatalf("callback: %d to %q", w.Code, w.Header().Get("Location"))
	}
	page := a.Get(PathUpstreamLink)
	wantPage(t, page, page.Body.String(), http.StatusOK, "Link your Corp SSO sign-in", "Email me a link instead")
	w = a.Post(PathUpstreamLink, url.Values{"action": {"mail"}})
	wantPage(t, w, w.Body.String(), http.StatusOK, "We sent a link to ada@corp.example")
	m := h.Mailer.Last(t)
	data, ok := m.Data.(mail.UpstreamLink)
	if m.To != "ada@corp.example" || m.Template != "upstream_link" || !ok {
		t.Fatalf("mail %+v", m)
	}
	link, _ := url.Parse(data.Link)
	target := link.Path + "?" + link.RawQuery
	sealer, err := secrets.NewSealer([][]byte{make([]byte, secrets.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := mail.NewOutbox(nil, templates.Mail, sealer, h.Clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	subject, text, htmlBody, err := outbox.Render(data)
	if err != nil || subject != "Link your Corp SSO sign-in" || !strings.Contains(text, data.Link) || !strings.Contains(htmlBody, "ada@corp.example") {
		t.Fatalf("mail renders %q / %q / %q (%v)", subject, text, htmlBody, err)
	}

	// Another browser with the mail links nothing.
	other := h.Browser()
	w = other.Get(target)
	wantPage(t, w, w.Body.String(), http.StatusBadRequest, "Open the link in the same browser")
	h.noIdentity(ada.Subject)

	w = a.Get(target)
	wantPage(t, w, w.Body.String(), http.StatusOK, "Link it to the account")
	h.noIdentity(ada.Subject) // GET alone changes nothing
	w = a.Post(PathUpstreamLinkMail, url.Values{"token": {link.Query().Get("token")}})
	wantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in")
	ident, err := h.Store.GetIdentity(h.Ctx(), h.pages.Federation.Connectors.Enabled()[0].Config().Issuer, ada.Subject)
	if err != nil || ident.UserID != owner.ID {
		t.Fatalf("identity %+v (%v), want linked to %s", ident, err, owner.ID)
	}
	if s, ok := a.Session(); !ok || s.UserID != owner.ID || s.IdP != "corp" {
		t.Fatalf("session %+v", s)
	}
	// The link is single use.
	w = a.Post(PathUpstreamLinkMail, url.Values{"token": {link.Query().Get("token")}})
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
	h.pages.Federation.Orgs = &orgsso.Service{Store: h.Store, Audit: h.Store, Orgs: h.pages.Orgs, Connectors: h.pages.Federation.Connectors.(*connectors.Set),
		Resolver: orgsso.NewResolver("127.0.0.1:1"), Now: h.Clock.Now}
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
	wantPage(t, page, page.Body.String(), http.StatusOK, "Single sign-on", "Corp SSO")
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
	wantPage(t, page, page.Body.String(), http.StatusOK, "_ostiary-challenge.acme.example", "ostiary-domain-verification=")
	// No DNS answers at 127.0.0.1:1: the check fails with a clear message.
	w = olga.Post("/organizations/acme", url.Values{"action": {"domain_verify"}, "domain": {"acme.example"}})
	wantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "The TXT record was not found yet")
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
	if msg, _ := h.pages.passwordRefused(h.Ctx(), "olga@acme.example"); msg != "" {
		t.Fatalf("password refused for an unverified domain: %s", msg)
	}
	if err := h.Store.VerifyOrgDomain(h.Ctx(), "acme", "acme.example", h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The owner's own password sign-in is now refused, with a clear message.
	b := h.Browser()
	b.Get("/login")
	w = b.Post("/login", url.Values{"action": {"login"}, "email": {"olga@acme.example"}, "password": {"olga's password 1234"}})
	wantPage(t, w, w.Body.String(), http.StatusForbidden, "Your organization does not allow passwords for this address.")
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
	w = bea.Get(followUpstream(bea, w.Header().Get("Location")))
	wantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in")
	sess, _ := bea.Session()
	m, err := h.Store.GetMembership(h.Ctx(), "acme", sess.UserID)
	if err != nil || m.Role != "admin" || sess.OrgID != "acme" {
		t.Fatalf("membership %+v (%v), session org %q", m, err, sess.OrgID)
	}
	// An address of another domain gets a clear answer.
	c := h.Browser()
	c.Get("/login")
	w = c.Post("/login", url.Values{"action": {"login"}, "email": {"cy@elsewhere.example"}, "sso": {"1"}})
	wantPage(t, w, w.Body.String(), http.StatusUnprocessableEntity, "Single sign-on is not set up for this address.")
}
