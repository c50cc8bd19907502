package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// enrollViaPage signs the agent in and turns on the second factor through
// /account/mfa, as a user would: it reads the key from the page's manual
// entry text. It returns the secret and the recovery codes shown.
func enrollViaPage(a *webtest.Agent, email, pw string) ([]byte, []string) {
	a.Env.T.Helper()
	a.SignIn(email, pw)
	return webtest.Enroll(a)
}

// passwordStep posts the password for request reqID and expects the second
// step, not a session.
func passwordStep(a *webtest.Agent, email, pw, reqID string) {
	a.Env.T.Helper()
	a.Get("/login?request=" + reqID + "&switch=1")
	w := a.Post("/login?request="+reqID, url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	webtest.WantRedirect(a.Env.T, w, signin.PathSecondFactor+"?request="+reqID)
}

// After the password, a user with a second factor is not signed in: the
// browser holds only a short-lived challenge for the code page.
func TestLoginAsksForSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	h.Client(webtest.AppClient())
	b := h.Browser()
	secret, codes := enrollViaPage(b, "ann@example.com", "ann-password-long")
	b.Get("/logout")
	b.Post("/logout", url.Values{})
	delete(b.Cookies, "ostiary_session")

	h.Clock.Add(time.Minute)
	h.AuthRequest("req1", "app", webtest.AuthForm())
	passwordStep(b, "ann@example.com", "ann-password-long", "req1")
	if _, ok := b.Session(); ok {
		t.Fatal("the password alone started a session")
	}
	if ar := h.AuthReq("req1"); ar.SessionID != "" || !ar.LoginAt.IsZero() {
		t.Fatalf("the password alone touched the request: %+v", ar)
	}
	if b.Cookies[signin.MFACookie] == nil {
		t.Fatal("no second-factor cookie")
	}
	w := b.Get(signin.PathSecondFactor + "?request=req1")
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `autocomplete="one-time-code"`) || !strings.Contains(w.Body.String(), "Example App") {
		t.Errorf("second-factor page:\n%s", w.Body)
	}
	// The challenge belongs to req1 only.
	h.AuthRequest("req2", "app", webtest.AuthForm())
	webtest.WantStatus(t, b.Get(signin.PathSecondFactor+"?request=req2"), http.StatusBadRequest)

	code := totp.Code(secret, totp.Step(h.Clock.Now()))
	w = b.Post(signin.PathSecondFactor+"?request=req1", url.Values{"code": {code}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")
	s, ok := b.Session()
	if !ok || s.UserID != "ann" || !slices.Equal(s.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("session after the second factor: %+v ok=%v", s, ok)
	}
	if ar := h.AuthReq("req1"); ar.SessionID != s.ID || ar.LoginAt.IsZero() {
		t.Errorf("request not bound to the new session: %+v", ar)
	}
	if b.Cookies[signin.MFACookie] != nil {
		t.Error("second-factor cookie survives the sign-in")
	}
	// The challenge is spent.
	webtest.WantStatus(t, b.Post(signin.PathSecondFactor+"?request=req1", url.Values{"code": {code}}), http.StatusBadRequest)

	// Replay: the same code in a new sign-in (same time step) is refused.
	h.AuthRequest("req3", "app", webtest.AuthForm())
	passwordStep(b, "ann@example.com", "ann-password-long", "req3")
	w = b.Post(signin.PathSecondFactor+"?request=req3", url.Values{"code": {code}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if evs := h.Audits("login.mfa_failure"); len(evs) != 1 || evs[0].Details["reason"] != "replayed_code" {
		t.Errorf("login.mfa_failure events = %+v", evs)
	}

	// A recovery code works once.
	w = b.Post(signin.PathSecondFactor+"?request=req3", url.Values{"code": {strings.ToUpper(codes[3])}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req3")
	if evs := h.Audits("mfa.recovery_used"); len(evs) != 1 {
		t.Errorf("mfa.recovery_used events = %+v", evs)
	}
	h.AuthRequest("req4", "app", webtest.AuthForm())
	passwordStep(b, "ann@example.com", "ann-password-long", "req4")
	webtest.WantStatus(t, b.Post(signin.PathSecondFactor+"?request=req4", url.Values{"code": {codes[3]}}), http.StatusUnprocessableEntity)
	if strings.Contains(h.Logs.String(), codes[3]) || strings.Contains(h.AuditText(), codes[3]) || strings.Contains(h.Logs.String(), code) {
		t.Error("a code reached the log or the audit trail")
	}
}

// Wrong codes are throttled like passwords, on a count of their own that a
// correct password does not reset; once limited, even the right code waits.
func TestSecondFactorThrottled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	b := h.Browser()
	secret, _ := enrollViaPage(b, "ann@example.com", "ann-password-long")
	delete(b.Cookies, "ostiary_session")

	login := func() {
		t.Helper()
		b.Get("/login")
		w := b.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})
		webtest.WantRedirect(t, w, signin.PathSecondFactor)
	}
	login()
	for range 3 {
		w := b.Post(signin.PathSecondFactor, url.Values{"code": {"000000"}})
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	}
	login() // a fresh password must not wipe the count
	for range 2 {
		webtest.WantStatus(t, b.Post(signin.PathSecondFactor, url.Values{"code": {"111111"}}), http.StatusUnprocessableEntity)
	}
	h.Clock.Add(totp.Period)
	w := b.Post(signin.PathSecondFactor, url.Values{"code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusTooManyRequests)
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if _, ok := b.Session(); ok {
		t.Fatal("a throttled attempt signed in")
	}
	if n := len(h.Audits("login.mfa_failure")); n != 5 {
		t.Errorf("%d login.mfa_failure events, want 5", n)
	}

	// After the window the right code works (a new challenge: the old one expired).
	h.Clock.Add(16 * time.Minute)
	login()
	w = b.Post(signin.PathSecondFactor, url.Values{"code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantRedirect(t, w, "/")
	if s, ok := b.Session(); !ok || !slices.Contains(s.AMR, "otp") {
		t.Errorf("no two-step session after the window: %+v", s)
	}
}

// Every second-factor form refuses a post without its token or from
// another site, and changes nothing.
func TestSecondFactorFormsCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	h.User("bob", "bob@example.com", "bob-password-long")
	ann := h.Browser()
	secret, _ := enrollViaPage(ann, "ann@example.com", "ann-password-long")
	delete(ann.Cookies, "ostiary_session")
	ann.Get("/login")
	ann.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})
	code := totp.Code(secret, totp.Step(h.Clock.Now())+1)

	w := ann.Do(http.MethodPost, signin.PathSecondFactor, url.Values{"code": {code}})
	webtest.WantStatus(t, w, http.StatusForbidden)
	ann.Site = "cross-site"
	w = ann.Post(signin.PathSecondFactor, url.Values{"code": {code}})
	webtest.WantStatus(t, w, http.StatusForbidden)
	if _, ok := ann.Session(); ok {
		t.Fatal("a forged second-factor post signed in")
	}
	if f, _ := h.Store.GetTOTP(h.Ctx(), "ann"); f.LastStep >= totp.Step(h.Clock.Now())+1 {
		t.Error("a refused post spent the code")
	}

	bob := h.Browser()
	bob.SignIn("bob@example.com", "bob-password-long")
	bob.Get(account.PathMFA)
	for _, form := range []url.Values{{"action": {"begin"}}, {"action": {"confirm"}, "code": {"123456"}}} {
		webtest.WantStatus(t, bob.Do(http.MethodPost, account.PathMFA, form), http.StatusForbidden)
	}
	if _, err := h.Store.GetTOTP(h.Ctx(), "bob"); err == nil {
		t.Error("a forged post started an enrollment")
	}
	ann.Site = "same-origin"
	ann.Post(signin.PathSecondFactor, url.Values{"code": {code}})
	ann.Get(account.PathMFA)
	ann.Site = "cross-site"
	webtest.WantStatus(t, ann.Post(account.PathMFA, url.Values{"action": {"disable"}, "proof": {"ann-password-long"}}), http.StatusForbidden)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); !st.Enabled {
		t.Error("a cross-site post turned the factor off")
	}
}

// Disabled between the password and the code: the code no longer signs in.
func TestSecondFactorRefusesDisabledUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	b := h.Browser()
	secret, _ := enrollViaPage(b, "ann@example.com", "ann-password-long")
	delete(b.Cookies, "ostiary_session")
	b.Get("/login")
	webtest.WantRedirect(t, b.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}}), signin.PathSecondFactor)
	if err := h.Store.UpdateUser(h.Ctx(), "ann", func(u storage.User) (storage.User, error) {
		u.Disabled = true
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	w := b.Post(signin.PathSecondFactor, url.Values{"code": {totp.Code(secret, totp.Step(h.Clock.Now())+1)}})
	webtest.WantStatus(t, w, http.StatusBadRequest)
	if _, ok := b.Session(); ok {
		t.Fatal("a disabled person signed in with a code")
	}
}
