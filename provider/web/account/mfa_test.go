package account_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

func TestEnrollmentOnAccountPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	b := h.Browser()

	// Not signed in: sent to sign in first, and back here afterwards.
	w := b.Get(account.PathMFA)
	webtest.WantRedirect(t, w, "/login?return_to=%2Faccount%2Fmfa")

	b.SignIn("ann@example.com", "ann-password-long")
	b.Post(account.PathMFA, url.Values{"action": {"begin"}})
	w = b.Get(account.PathMFA)
	m := webtest.SecretText.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no key on the page:\n%s", w.Body)
	}
	secret, _ := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if got := w.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
		t.Errorf("enrollment page CSP = %q", got)
	}

	// A wrong code leaves the factor off.
	w = b.Post(account.PathMFA, url.Values{"action": {"confirm"}, "code": {"000000"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); st.Enabled {
		t.Fatal("a wrong confirmation code turned the factor on")
	}
	w = b.Post(account.PathMFA, url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	if n := len(webtest.CodeItem.FindAllString(w.Body.String(), -1)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); !st.Enabled || st.RecoveryLeft != 10 {
		t.Errorf("after confirmation: %+v", st)
	}
	if s, _ := b.Session(); !slices.Equal(s.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("session amr after enrollment = %v; want [pwd otp mfa]", s.AMR)
	}
	if evs := h.Audits("mfa.enrolled"); len(evs) != 1 || evs[0].SubjectID != "ann" {
		t.Errorf("mfa.enrolled events = %+v", evs)
	}
	// Shown once: the page no longer lists them.
	w = b.Get(account.PathMFA)
	if webtest.CodeItem.MatchString(w.Body.String()) || !strings.Contains(w.Body.String(), `id="recovery-left">10<`) {
		t.Errorf("account page after enrollment:\n%s", w.Body)
	}

	// Turning it off needs proof: a wrong one changes nothing.
	w = b.Post(account.PathMFA, url.Values{"action": {"disable"}, "proof": {"guess"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); !st.Enabled {
		t.Fatal("a wrong proof turned the factor off")
	}
	h.Clock.Add(totp.Period)
	w = b.Post(account.PathMFA, url.Values{"action": {"regenerate"}, "proof": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	if n := len(webtest.CodeItem.FindAllString(w.Body.String(), -1)); n != 10 {
		t.Errorf("regeneration showed %d codes", n)
	}
	w = b.Post(account.PathMFA, url.Values{"action": {"disable"}, "proof": {"ann-password-long"}})
	webtest.WantStatus(t, w, http.StatusOK)
	if st, _ := h.MFA.Status(h.Ctx(), "ann"); st.Enabled || st.Pending {
		t.Errorf("after disable: %+v", st)
	}
	if evs := h.Audits("mfa.disabled"); len(evs) != 1 {
		t.Errorf("mfa.disabled events = %+v", evs)
	}
}

// An organization's requirement sends a member without the factor in this
// session to /account/mfa?request=ID; enrolling there marks the session
// and links back to the authorization.
func TestRequiredEnrollmentDuringSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	h.Client(webtest.AppClient())
	h.AuthRequest("req1", "app", webtest.AuthForm())
	b := h.Browser()
	b.Get("/login?request=req1")
	b.Post("/login?request=req1", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})

	// Another browser's session cannot use the request's setup page.
	other := h.Browser()
	w := other.Get(account.PathMFA + "?request=req1")
	webtest.WantRedirect(t, w, "/login?request=req1")

	w = b.Get(account.PathMFA + "?request=req1")
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "requires two-step verification") {
		t.Errorf("no explanation:\n%s", w.Body)
	}
	b.Post(account.PathMFA+"?request=req1", url.Values{"action": {"begin"}})
	w = b.Get(account.PathMFA + "?request=req1")
	m := webtest.SecretText.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no key:\n%s", w.Body)
	}
	secret, _ := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	w = b.Post(account.PathMFA+"?request=req1", url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `href="/oauth2/authorize/resume?request=req1"`) {
		t.Errorf("no way back to the sign-in:\n%s", w.Body)
	}
	if s, _ := b.Session(); !hasOTP(s) {
		t.Errorf("session amr %v lacks otp", s.AMR)
	}
}

// A session without the factor, from an upstream sign-in (which does not ask
// for it), confirms it with a code when an organization requires it.
// Sessions from before the factor was set up no longer exist: enrolling
// ends them (TestSecondFactorChangesEndOtherSessions).
func TestStepUpForSessionWithoutFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ada", "ada@corp.example", "ada-password-long")
	h.Client(webtest.AppClient())
	first, _ := h.SignedIn("ada", "fed")
	secret, _ := webtest.Enroll(first)
	old, _ := h.SignedIn("ada", "fed")
	if s, ok := old.Session(); !ok || hasOTP(s) {
		t.Fatalf("upstream session %+v (signed in %v), want one without otp", s, ok)
	}

	h.AuthRequest("req1", "app", webtest.AuthForm())
	old.Get("/login?request=req1")
	webtest.WantRedirect(t, old.Post("/login?request=req1", url.Values{"action": {"continue"}}), "/oauth2/authorize/resume?request=req1")
	w := old.Get(account.PathMFA + "?request=req1")
	if !strings.Contains(w.Body.String(), `value="stepup"`) {
		t.Fatalf("no step-up form:\n%s", w.Body)
	}
	webtest.WantStatus(t, old.Post(account.PathMFA+"?request=req1", url.Values{"action": {"stepup"}, "code": {"000000"}}), http.StatusUnprocessableEntity)
	h.Clock.Add(totp.Period)
	w = old.Post(account.PathMFA+"?request=req1", url.Values{"action": {"stepup"}, "code": {totp.Code(secret, totp.Step(h.Clock.Now()))}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("step-up answered %d %q", w.Code, w.Header().Get("Location"))
	}
	if s, _ := old.Session(); !slices.Equal(s.AMR, []string{"fed", "otp", "mfa"}) {
		t.Errorf("session amr after step-up = %v", s.AMR)
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
// off each end every other session and every token of the user, as a
// password change does (TestAccountPasswordChangeEndsOtherSessions); the
// session that made the change stays, its amr saying whether it now counts
// as two-step.
func TestSecondFactorChangesEndOtherSessions(t *testing.T) {
	t.Parallel()
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
		if h.tokenActive(storage.KindRefreshToken, refresh) || h.tokenActive(storage.KindRefreshToken, own) {
			t.Fatalf("%s: tokens issued before the change are still active", typ)
		}
		if !h.tokenActive(storage.KindRefreshToken, bobs) {
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
	secret, _ := webtest.Enroll(a)
	check("mfa.enrolled", other, otherSess, refresh, own, []string{"pwd", "otp", "mfa"})
	if evs := h.Audits("mfa.enrolled"); len(evs) != 1 || evs[0].Details["method"] != "totp" {
		t.Errorf("mfa.enrolled keeps its method: %+v", evs)
	}

	// New recovery codes: a session a leaked old code let in ends.
	other = h.Browser()
	otherSess = signInTwoStep(other, "ann@example.com", annPassword, secret)
	refresh, own = grants(otherSess)
	a.Get(account.PathMFA)
	webtest.WantStatus(t, a.Post(account.PathMFA, url.Values{"action": {"regenerate"}, "proof": {annPassword}}), http.StatusOK)
	check("mfa.recovery_regenerated", other, otherSess, refresh, own, []string{"pwd", "otp", "mfa"})

	// Turning it off: a refused attempt ends nothing; a proven one ends the
	// other session, and this one no longer counts as two-step.
	other = h.Browser()
	otherSess = signInTwoStep(other, "ann@example.com", annPassword, secret)
	refresh, own = grants(otherSess)
	a.Get(account.PathMFA)
	webtest.WantStatus(t, a.Post(account.PathMFA, url.Values{"action": {"disable"}, "proof": {"guess"}}), http.StatusUnprocessableEntity)
	if _, ok := other.Session(); !ok || !h.tokenActive(storage.KindRefreshToken, refresh) {
		t.Fatal("a refused change ended sessions or tokens")
	}
	webtest.WantStatus(t, a.Post(account.PathMFA, url.Values{"action": {"disable"}, "proof": {annPassword}}), http.StatusOK)
	check("mfa.disabled", other, otherSess, refresh, own, []string{"pwd"})
}
