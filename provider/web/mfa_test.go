package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

var (
	secretText = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7 ]+)</code>`)
	codeItem   = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)
)

// enrollViaPage signs the agent in and turns on the second factor through
// /account/mfa, as a person would: it reads the key from the page's manual
// entry text. It returns the secret and the recovery codes shown.
func enrollViaPage(a *webtest.Agent, email, pw string) ([]byte, []string) {
	a.Env.T.Helper()
	a.SignIn(email, pw)
	return enroll(a)
}

// enroll is enrollViaPage for an agent signed in already.
func enroll(a *webtest.Agent) ([]byte, []string) {
	a.Env.T.Helper()
	t := a.Env.T
	w := a.Get(PathAccountMFA)
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `value="begin"`) {
		t.Fatalf("account page offers no setup:\n%s", w.Body)
	}
	w = a.Post(PathAccountMFA, url.Values{"action": {"begin"}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	w = a.Get(PathAccountMFA)
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	m := secretText.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "<svg class=\"qr\"") || !strings.Contains(body, "otpauth://totp/") {
		t.Fatalf("enrollment page lacks the QR code, key or URI:\n%s", body)
	}
	secret, err := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	w = a.Post(PathAccountMFA, url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(a.Env.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	var codes []string
	for _, m := range codeItem.FindAllStringSubmatch(w.Body.String(), -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("confirmation showed %d recovery codes, want 10:\n%s", len(codes), w.Body)
	}
	return secret, codes
}

// passwordStep posts the password for request reqID and expects the second
// step, not a session.
func passwordStep(a *webtest.Agent, email, pw, reqID string) {
	a.Env.T.Helper()
	a.Get("/login?request=" + reqID + "&switch=1")
	w := a.Post("/login?request="+reqID, url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	webtest.WantRedirect(a.Env.T, w, signin.PathSecondFactor+"?request="+reqID)
}

func TestEnrollmentOnAccountPage(t *testing.T) {
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	b := h.Browser()

	// Not signed in: sent to sign in first, and back here afterwards.
	w := b.Get(PathAccountMFA)
	webtest.WantRedirect(t, w, "/login?return_to=%2Faccount%2Fmfa")

	b.SignIn("ann@example.com", "ann-password-long")
	b.Post(PathAccountMFA, url.Values{"action": {"begin"}})
	w = b.Get(PathAccountMFA)
	m := secretText.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no key on the page:\n%s", w.Body)
	}
	secret, _ := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if got := w.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
		t.Errorf("enrollment page CSP = %q", got)
	}

	// A wrong code leaves the factor off.
	w = b.Post(PathAccountMFA, url.Values{"action": {"confirm"}, "code": {"000000"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); st.Enabled {
		t.Fatal("a wrong confirmation code turned the factor on")
	}
	w = b.Post(PathAccountMFA, url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	if n := len(codeItem.FindAllString(w.Body.String(), -1)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); !st.Enabled || st.RecoveryLeft != 10 {
		t.Errorf("after confirmation: %+v", st)
	}
	if s, _ := b.Session(); !slices.Equal(s.AMR, []string{"pwd", "otp"}) {
		t.Errorf("session amr after enrollment = %v; want [pwd otp]", s.AMR)
	}
	if evs := h.Audits("mfa.enrolled"); len(evs) != 1 || evs[0].SubjectID != "ann" {
		t.Errorf("mfa.enrolled events = %+v", evs)
	}
	// Shown once: the page no longer lists them.
	w = b.Get(PathAccountMFA)
	if codeItem.MatchString(w.Body.String()) || !strings.Contains(w.Body.String(), `id="recovery-left">10<`) {
		t.Errorf("account page after enrollment:\n%s", w.Body)
	}

	// Turning it off needs proof: a wrong one changes nothing.
	w = b.Post(PathAccountMFA, url.Values{"action": {"disable"}, "proof": {"guess"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); !st.Enabled {
		t.Fatal("a wrong proof turned the factor off")
	}
	h.Clock.Add(totp.Period)
	w = b.Post(PathAccountMFA, url.Values{"action": {"regenerate"}, "proof": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	if n := len(codeItem.FindAllString(w.Body.String(), -1)); n != 10 {
		t.Errorf("regeneration showed %d codes", n)
	}
	w = b.Post(PathAccountMFA, url.Values{"action": {"disable"}, "proof": {"ann-password-long"}})
	webtest.WantStatus(t, w, http.StatusOK)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); st.Enabled || st.Pending {
		t.Errorf("after disable: %+v", st)
	}
	if evs := h.Audits("mfa.disabled"); len(evs) != 1 {
		t.Errorf("mfa.disabled events = %+v", evs)
	}
}

// After the password, a person with a second factor is not signed in: the
// browser holds only a short-lived challenge for the code page.
func TestLoginAsksForSecondFactor(t *testing.T) {
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
	if !ok || s.UserID != "ann" || !slices.Equal(s.AMR, []string{"pwd", "otp"}) {
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
	bob.Get(PathAccountMFA)
	for _, form := range []url.Values{{"action": {"begin"}}, {"action": {"confirm"}, "code": {"123456"}}} {
		webtest.WantStatus(t, bob.Do(http.MethodPost, PathAccountMFA, form), http.StatusForbidden)
	}
	if _, err := h.Store.GetTOTP(h.Ctx(), "bob"); err == nil {
		t.Error("a forged post started an enrollment")
	}
	ann.Site = "same-origin"
	ann.Post(signin.PathSecondFactor, url.Values{"code": {code}})
	ann.Get(PathAccountMFA)
	ann.Site = "cross-site"
	webtest.WantStatus(t, ann.Post(PathAccountMFA, url.Values{"action": {"disable"}, "proof": {"ann-password-long"}}), http.StatusForbidden)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); !st.Enabled {
		t.Error("a cross-site post turned the factor off")
	}
}

// An organization's requirement sends a member without the factor in this
// session to /account/mfa?request=ID; enrolling there marks the session
// and links back to the authorization.
func TestRequiredEnrollmentDuringSignIn(t *testing.T) {
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	h.Client(webtest.AppClient())
	h.AuthRequest("req1", "app", webtest.AuthForm())
	b := h.Browser()
	b.Get("/login?request=req1")
	b.Post("/login?request=req1", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})

	// Another browser's session cannot use the request's setup page.
	other := h.Browser()
	w := other.Get(PathAccountMFA + "?request=req1")
	webtest.WantRedirect(t, w, "/login?request=req1")

	w = b.Get(PathAccountMFA + "?request=req1")
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "requires two-step verification") {
		t.Errorf("no explanation:\n%s", w.Body)
	}
	b.Post(PathAccountMFA+"?request=req1", url.Values{"action": {"begin"}})
	w = b.Get(PathAccountMFA + "?request=req1")
	m := secretText.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no key:\n%s", w.Body)
	}
	secret, _ := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	w = b.Post(PathAccountMFA+"?request=req1", url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `href="/oauth2/authorize/resume?request=req1"`) {
		t.Errorf("no way back to the sign-in:\n%s", w.Body)
	}
	if s, _ := b.Session(); !signin.HasOTP(s) {
		t.Errorf("session amr %v lacks otp", s.AMR)
	}
}

// A session without the factor, from an upstream sign-in (which does not ask
// for it), confirms it with a code when an organization requires it.
// Sessions from before the factor was set up no longer exist: enrolling
// ends them (TestSecondFactorChangesEndOtherSessions).
func TestStepUpForSessionWithoutFactor(t *testing.T) {
	h := newHarness(t)
	h.withUpstream(webtest.Ada)
	h.Client(webtest.AppClient())
	first := h.Browser()
	first.Get(first.StartUpstream(""))
	secret, _ := enroll(first)
	old := h.Browser()
	old.Get(old.StartUpstream(""))
	if s, ok := old.Session(); !ok || signin.HasOTP(s) {
		t.Fatalf("upstream session %+v (signed in %v), want one without otp", s, ok)
	}

	h.AuthRequest("req1", "app", webtest.AuthForm())
	old.Get("/login?request=req1")
	webtest.WantRedirect(t, old.Post("/login?request=req1", url.Values{"action": {"continue"}}), "/oauth2/authorize/resume?request=req1")
	w := old.Get(PathAccountMFA + "?request=req1")
	if !strings.Contains(w.Body.String(), `value="stepup"`) {
		t.Fatalf("no step-up form:\n%s", w.Body)
	}
	webtest.WantStatus(t, old.Post(PathAccountMFA+"?request=req1", url.Values{"action": {"stepup"}, "code": {"000000"}}), http.StatusUnprocessableEntity)
	h.Clock.Add(totp.Period)
	w = old.Post(PathAccountMFA+"?request=req1", url.Values{"action": {"stepup"}, "code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("step-up answered %d %q", w.Code, w.Header().Get("Location"))
	}
	if s, _ := old.Session(); !slices.Equal(s.AMR, []string{"fed", "otp"}) {
		t.Errorf("session amr after step-up = %v", s.AMR)
	}
}

// Disabled between the password and the code: the code no longer signs in.
func TestSecondFactorRefusesDisabledUser(t *testing.T) {
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

// signInTwoStep signs in with the password and a fresh code of secret.
func signInTwoStep(a *webtest.Agent, email, pw string, secret []byte) storage.Session {
	a.Env.T.Helper()
	a.SignIn(email, pw)
	a.Env.Clock.Add(totp.Period) // a code of a step not used yet
	webtest.WantRedirect(a.Env.T, a.Post(signin.PathSecondFactor, url.Values{"code": {totp.Code(secret, totp.Step(a.Env.Clock.Now()))}}), "/")
	s, ok := a.Session()
	if !ok {
		a.Env.T.Fatal("not signed in after the second factor")
	}
	return s
}

// Turning the second factor on, getting new recovery codes and turning it
// off each end every other session and every token of the person, as a
// password change does (TestAccountPasswordChangeEndsOtherSessions); the
// session that made the change stays, its amr saying whether it now counts
// as two-step.
func TestSecondFactorChangesEndOtherSessions(t *testing.T) {
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.User("bob", "bob@example.com", "bob-password-long")
	bobs := h.grantToken(storage.KindRefreshToken, "bob", "app", "", "rb")
	a := h.Browser()
	a.SignIn("ann@example.com", annPassword)
	sess, _ := a.Session()

	// check expects the change to have ended other (and its refresh token)
	// and the refresh token of a's own session, and to be audited as typ.
	check := func(typ string, other *webtest.Agent, otherSess storage.Session, refresh, own string, wantAMR []string) {
		t.Helper()
		if s, ok := a.Session(); !ok || s.ID != sess.ID || !slices.Equal(s.AMR, wantAMR) {
			t.Fatalf("%s: the changing session %+v (signed in %v), want it kept with amr %v", typ, s, ok, wantAMR)
		}
		if _, ok := other.Session(); ok {
			t.Fatalf("%s: the other session survived", typ)
		}
		if h.TokenActive(storage.KindRefreshToken, refresh) || h.TokenActive(storage.KindRefreshToken, own) {
			t.Fatalf("%s: tokens issued before the change are still active", typ)
		}
		if !h.TokenActive(storage.KindRefreshToken, bobs) {
			t.Fatalf("%s: another person's token was deactivated", typ)
		}
		if !slices.Contains(h.Notified.Ended(), "ann/"+otherSess.ID) || slices.Contains(h.Notified.Ended(), "ann/"+sess.ID) {
			t.Errorf("%s: back-channel notices: %v", typ, h.Notified.Ended())
		}
		if evs := h.Audits(typ); len(evs) != 1 || evs[0].ActorID != "ann" || evs[0].SubjectID != "ann" ||
			evs[0].Details["sessions_ended"] != "1" || evs[0].Details["tokens_deactivated"] != "2" {
			t.Errorf("%s: audit %+v", typ, evs)
		}
	}
	grants := func(other storage.Session) (refresh, own string) {
		return h.grantToken(storage.KindRefreshToken, "ann", "app", other.ID, randtoken.ID()),
			h.grantToken(storage.KindRefreshToken, "ann", "app", sess.ID, randtoken.ID())
	}

	// Turning it on: a session signed in with the password alone ends.
	other := h.Browser()
	other.SignIn("ann@example.com", annPassword)
	otherSess, _ := other.Session()
	refresh, own := grants(otherSess)
	secret, _ := enroll(a)
	check("mfa.enrolled", other, otherSess, refresh, own, []string{"pwd", "otp"})
	if evs := h.Audits("mfa.enrolled"); len(evs) != 1 || evs[0].Details["method"] != "totp" {
		t.Errorf("mfa.enrolled keeps its method: %+v", evs)
	}

	// New recovery codes: a session a leaked old code let in ends.
	other = h.Browser()
	otherSess = signInTwoStep(other, "ann@example.com", annPassword, secret)
	refresh, own = grants(otherSess)
	a.Get(PathAccountMFA)
	webtest.WantStatus(t, a.Post(PathAccountMFA, url.Values{"action": {"regenerate"}, "proof": {annPassword}}), http.StatusOK)
	check("mfa.recovery_regenerated", other, otherSess, refresh, own, []string{"pwd", "otp"})

	// Turning it off: a refused attempt ends nothing; a proven one ends the
	// other session, and this one no longer counts as two-step.
	other = h.Browser()
	otherSess = signInTwoStep(other, "ann@example.com", annPassword, secret)
	refresh, own = grants(otherSess)
	a.Get(PathAccountMFA)
	webtest.WantStatus(t, a.Post(PathAccountMFA, url.Values{"action": {"disable"}, "proof": {"guess"}}), http.StatusUnprocessableEntity)
	if _, ok := other.Session(); !ok || !h.TokenActive(storage.KindRefreshToken, refresh) {
		t.Fatal("a refused change ended sessions or tokens")
	}
	webtest.WantStatus(t, a.Post(PathAccountMFA, url.Values{"action": {"disable"}, "proof": {annPassword}}), http.StatusOK)
	check("mfa.disabled", other, otherSess, refresh, own, []string{"pwd"})
}
