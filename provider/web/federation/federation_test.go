package federation

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

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
	if _, err := h.Store.GetIdentity(h.Ctx(), h.pages.Connectors.Enabled()[0].Config().Issuer, subject); err == nil {
		h.T.Fatalf("an identity for %s was linked", subject)
	}
}

func TestUpstreamJustInTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.withUpstream(webtest.Ada)
	h.Client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
	h.AuthRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	a := h.Browser()
	cb := a.StartUpstream("req1")
	w := a.Get(cb)
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in", `http-equiv="refresh"`, "/oauth2/authorize/resume?request=req1")
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
	webtest.WantPage(t, w, w.Body.String(), http.StatusBadRequest, "This sign-in has expired")
	if h.userCount() != n {
		t.Fatal("a replayed callback made an account")
	}
}

// Every way an upstream sign-in can go wrong ends on a page that says so,
// and makes no account, no identity and no session.
func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
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
			a.StartUpstream("req1")
			w := a.Get(PathUpstreamCallback + "?state=forged-state&code=whatever")
			return w.Code, w.Body.String()
		}, result{http.StatusBadRequest, []string{"This sign-in has expired", "Start signing in again"}}},
		{"state from another browser", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			cb := a.StartUpstream("req1")
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
			cb := a.StartUpstream("req1")
			up.Close()
			w := a.Get(cb)
			return w.Code, w.Body.String()
		}, down},
		{"unconfirmed upstream address", func(h *harness, up *fakeidp.Server, a *webtest.Agent) (int, string) {
			up.SetPerson(fakeidp.Person{Subject: "unverified", Email: "eve@corp.example"})
			w := a.Get(a.StartUpstream("req1"))
			return w.Code, w.Body.String()
		}, result{http.StatusForbidden, []string{"Your email address is not confirmed"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			up := h.withUpstream(webtest.Ada)
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
			h.noIdentity(webtest.Ada.Subject)
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
		w := a.Get(a.StartUpstream("req1"))
		return w.Code, w.Body.String()
	}
}

// The application hears access_denied only when the user chooses to go
// back to it from the error page.
func TestUpstreamGoBackToApplication(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	up := h.withUpstream(webtest.Ada)
	up.Misbehave(fakeidp.Deny)
	h.Client(storage.Client{ID: "app", Name: "Notes", RedirectURIs: []string{"https://app.example/cb"}, FirstParty: true})
	h.AuthRequest("req1", "app", url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}})
	a := h.Browser()
	w := a.Get(a.StartUpstream("req1"))
	webtest.WantPage(t, w, w.Body.String(), http.StatusForbidden, "Sign-in was cancelled", "Try signing in again")
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

// Signing out of a session that came through a connector with upstream
// logout continues at the upstream's end_session_endpoint with the
// upstream's ID token, then comes back.
func TestUpstreamLogout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	up := h.withUpstream(webtest.Ada, func(c *connectors.Config) { c.UpstreamLogout = true })
	a := h.Browser()
	a.Get(a.StartUpstream(""))
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
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "You are signed out")
	if _, ok := a.Session(); ok {
		t.Fatal("still signed in")
	}

	// Without the opt-in, logout stays here and no ID token is kept.
	h2 := newHarness(t)
	h2.withUpstream(webtest.Ada)
	b := h2.Browser()
	b.Get(b.StartUpstream(""))
	if s, _ := b.Session(); s.UpstreamIDToken != "" {
		t.Fatal("upstream ID token kept without upstream logout")
	}
	b.Get("/logout")
	w = b.Post("/logout", url.Values{"confirm": {"yes"}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "You are signed out")
}

// The owner of an existing account can prove it by an emailed link instead
// of the password; the link works only in the browser that signed in
// upstream.
func TestUpstreamLinkByMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.withUpstream(webtest.Ada)
	owner := h.User("ada", "ada@corp.example", "ada's password here 1815")
	a := h.Browser()
	w := a.Get(a.StartUpstream(""))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != PathUpstreamLink {
		t.Fatalf("callback: %d to %q", w.Code, w.Header().Get("Location"))
	}
	page := a.Get(PathUpstreamLink)
	webtest.WantPage(t, page, page.Body.String(), http.StatusOK, "Link your Corp SSO sign-in", "Email me a link instead")
	w = a.Post(PathUpstreamLink, url.Values{"action": {"mail"}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "We sent a link to ada@corp.example")
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
	webtest.WantPage(t, w, w.Body.String(), http.StatusBadRequest, "Open the link in the same browser")
	h.noIdentity(webtest.Ada.Subject)

	w = a.Get(target)
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "Link it to the account")
	h.noIdentity(webtest.Ada.Subject) // GET alone changes nothing
	w = a.Post(PathUpstreamLinkMail, url.Values{"token": {link.Query().Get("token")}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "Signing you in")
	ident, err := h.Store.GetIdentity(h.Ctx(), h.pages.Connectors.Enabled()[0].Config().Issuer, webtest.Ada.Subject)
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

// A zero state lifetime is a wiring mistake New refuses, not a request for
// a default.
func TestNewRefusesZeroStateLifetime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, set := h.Upstream(webtest.Ada)
	site := h.Site()
	_, err := New(Pages{Site: site, Flows: h.signin.Flows, Passwords: &signin.Passwords{Site: site, Store: h.Store},
		Store: h.Store, Transactor: h.Store, Throttle: h.limiter, Connectors: set})
	if err == nil || !strings.Contains(err.Error(), "StateLifetime") {
		t.Fatalf("New without a state lifetime: %v", err)
	}
}
