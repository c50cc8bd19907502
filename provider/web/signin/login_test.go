package signin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// Signing in during a request must give the browser a new session id and
// secret, drop the one it had (no session fixation), and record the login
// on the request for prompt=login / max_age.
func TestLoginStartsNewSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password")
	h.User("bob", "bob@example.com", "bob-password")
	h.Client(webtest.AppClient())
	b := h.Browser()
	b.SignIn("bob@example.com", "bob-password")
	before, ok := b.Session()
	if !ok {
		t.Fatal("first sign-in made no session")
	}
	oldCookie := b.Cookies["ostiary_session"].Value

	h.AuthRequest("req1", "app", webtest.AuthForm("login_hint", "ann@example.com"))
	w := b.Get("/login?request=req1&switch=1")
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	if !strings.Contains(body, "Example App") || !strings.Contains(body, `value="ann@example.com"`) {
		t.Errorf("login page lacks the client name or the login_hint:\n%s", body)
	}
	h.Clock.Add(time.Minute)
	w = b.Post("/login?request=req1", url.Values{"action": {"login"}, "email": {"ANN@example.com"}, "password": {"ann-password"}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")

	after, ok := b.Session()
	if !ok || after.UserID != "ann" {
		t.Fatalf("after sign-in: session %+v ok=%v; want ann's", after, ok)
	}
	if after.ID == before.ID || b.Cookies["ostiary_session"].Value == oldCookie {
		t.Error("sign-in kept the previous session id or cookie")
	}
	if _, err := h.Store.GetSession(h.Ctx(), before.ID, h.Clock.Now()); err == nil {
		t.Error("previous session row still exists")
	}
	if len(after.AMR) != 1 || after.AMR[0] != "pwd" || !after.AuthTime.Equal(h.Clock.Now()) {
		t.Errorf("session AMR %v AuthTime %v; want [pwd] and now", after.AMR, after.AuthTime)
	}
	ar := h.AuthReq("req1")
	if ar.SessionID != after.ID || !ar.LoginAt.Equal(h.Clock.Now()) {
		t.Errorf("auth request SessionID %q LoginAt %v; want %q and now", ar.SessionID, ar.LoginAt, after.ID)
	}
	evs := h.Audits("login.success")
	if len(evs) != 2 || evs[0].SubjectID != "ann" || evs[0].ClientID != "app" || evs[0].IP != "198.51.100.20" {
		t.Errorf("login.success events = %+v", evs)
	}
	if strings.Contains(h.Logs.String(), "ann-password") || strings.Contains(h.AuditText(), "ann-password") {
		t.Error("the password reached the log or the audit trail")
	}
}

// No user enumeration (CONTRIBUTING.md, security rules; OWASP Authentication Cheat Sheet): an
// unknown address, a wrong password and a disabled account get the same
// bytes back.
func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password")
	off := h.User("dis", "dis@example.com", "dis-password")
	if err := h.Store.UpdateUser(h.Ctx(), off.ID, func(u storage.User) (storage.User, error) {
		u.Disabled = true
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	b := h.Browser()
	b.Get("/login")
	attempt := func(email, pw string) (int, []byte) {
		w := b.Post("/login", url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
		return w.Code, w.Body.Bytes()
	}
	// One address for all three, so the echoed email cannot differ.
	codeWrong, bodyWrong := attempt("ann@example.com", "nope")
	h.Clock.Add(time.Hour) // new throttle window
	if err := h.Store.UpdateUser(h.Ctx(), "ann", func(u storage.User) (storage.User, error) {
		u.Email = "gone@example.com"
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	codeUnknown, bodyUnknown := attempt("ann@example.com", "nope")
	h.Clock.Add(time.Hour)
	if err := h.Store.UpdateUser(h.Ctx(), "dis", func(u storage.User) (storage.User, error) {
		u.Email = "ann@example.com"
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	codeDisabled, bodyDisabled := attempt("ann@example.com", "dis-password")

	if codeWrong != http.StatusUnprocessableEntity || codeUnknown != codeWrong || codeDisabled != codeWrong {
		t.Fatalf("statuses wrong=%d unknown=%d disabled=%d; want all 422", codeWrong, codeUnknown, codeDisabled)
	}
	if !bytes.Equal(bodyWrong, bodyUnknown) || !bytes.Equal(bodyWrong, bodyDisabled) {
		t.Errorf("responses differ:\nwrong:\n%s\nunknown:\n%s\ndisabled:\n%s", bodyWrong, bodyUnknown, bodyDisabled)
	}
	if !bytes.Contains(bodyWrong, []byte(`role="alert">Email or password is incorrect.`)) {
		t.Errorf("no announced generic error:\n%s", bodyWrong)
	}
	if _, ok := b.Session(); ok {
		t.Error("a refused sign-in made a session (disabled account?)")
	}
	reasons := map[string]bool{}
	for _, e := range h.Audits("login.failure") {
		reasons[e.Details["reason"]] = true
	}
	for _, want := range []string{"bad_password", "unknown_user", "disabled"} {
		if !reasons[want] {
			t.Errorf("no login.failure audit with reason %s (got %v)", want, reasons)
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password")
	b := h.Browser()
	b.Get("/login")
	for range 5 {
		w := b.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"guess"}})
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
		h.Clock.Add(time.Minute)
	}
	// The right password does not get through while limited.
	w := b.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}})
	webtest.WantStatus(t, w, http.StatusTooManyRequests)
	if ra := w.Header().Get("Retry-After"); ra != "600" {
		t.Errorf("Retry-After = %q, want 600 (window of 15 min opened 5 min ago)", ra)
	}
	if !strings.Contains(w.Body.String(), "Try again in about 10 minutes") {
		t.Errorf("429 page does not say when to retry:\n%s", w.Body)
	}
	if _, ok := b.Session(); ok {
		t.Error("signed in while throttled")
	}
	h.Clock.Add(10 * time.Minute)
	b.Get("/login")
	w = b.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}})
	webtest.WantRedirect(t, w, "/")
}

func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password")
	for name, tc := range map[string]struct {
		token, site string
	}{
		"missing token":                 {"", "same-origin"},
		"wrong token":                   {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "same-origin"},
		"cross-site post":               {"", "cross-site"}, // with the page's own valid token
		"same-site (sibling subdomain)": {"", "same-site"},
	} {
		b := h.Browser()
		b.Get("/login")
		if tc.token == "" && tc.site == "same-origin" {
			b.CSRF = ""
		}
		b.Site = tc.site
		form := url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}}
		if tc.token != "" {
			form.Set("csrf_token", tc.token)
		}
		w := b.Post("/login", form)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, w.Code)
		}
		if _, ok := b.Session(); ok {
			t.Errorf("%s: signed in", name)
		}
	}
}

func TestLoginRehashesBcrypt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// "allmine" under bcrypt cost 10 (x/crypto/bcrypt's known answer).
	u := storage.User{ID: "imp", Email: "imp@example.com", PasswordHash: "$2y$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"}
	if err := h.Store.CreateUser(h.Ctx(), u); err != nil {
		t.Fatal(err)
	}
	b := h.Browser()
	b.SignIn("imp@example.com", "allmine")
	got, err := h.Store.GetUser(h.Ctx(), "imp")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Errorf("hash after sign-in = %q, want argon2id", got.PasswordHash)
	}
}

// "Continue as" answers the request with the existing session and does not
// claim a fresh login.
func TestContinueAs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password")
	h.Client(webtest.AppClient())
	b := h.Browser()
	b.SignIn("ann@example.com", "ann-password")
	sess, _ := b.Session()

	h.AuthRequest("req1", "app", webtest.AuthForm())
	w := b.Get("/login?request=req1")
	if !strings.Contains(w.Body.String(), "Continue as Ann Example") || !strings.Contains(w.Body.String(), "Use another account") {
		t.Fatalf("no Continue as:\n%s", w.Body)
	}
	w = b.Post("/login?request=req1", url.Values{"action": {"continue"}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")
	ar := h.AuthReq("req1")
	if ar.SessionID != sess.ID || !ar.LoginAt.IsZero() {
		t.Errorf("SessionID %q LoginAt %v; want the existing session and no login time", ar.SessionID, ar.LoginAt)
	}

	// prompt=login (OIDC Core 3.1.2.1) needs a password: no Continue.
	h.AuthRequest("req2", "app", webtest.AuthForm("prompt", "login"))
	if w := b.Get("/login?request=req2"); strings.Contains(w.Body.String(), "Continue as") {
		t.Error("Continue as offered for prompt=login")
	}
	if w := b.Post("/login?request=req2", url.Values{"action": {"continue"}}); w.Code == http.StatusFound {
		t.Error("Continue accepted for prompt=login")
	}
	// max_age exceeded likewise.
	h.Clock.Add(2 * time.Minute)
	h.AuthRequest("req3", "app", webtest.AuthForm("max_age", "60"))
	if w := b.Get("/login?request=req3"); strings.Contains(w.Body.String(), "Continue as") {
		t.Error("Continue as offered past max_age")
	}
}

func TestLoginReturnTo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password")
	for _, tc := range []struct{ returnTo, want string }{
		{"/account?tab=sessions", "/account?tab=sessions"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/ok\r\nSet-Cookie: x=y", "/"},
	} {
		b := h.Browser()
		b.Get("/login?return_to=" + url.QueryEscape(tc.returnTo))
		w := b.Post("/login?return_to="+url.QueryEscape(tc.returnTo),
			url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}, "return_to": {tc.returnTo}})
		webtest.WantRedirect(t, w, tc.want)
	}
}

func TestLoginExpiredRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	h.AuthRequest("req1", "app", webtest.AuthForm())
	h.Clock.Add(31 * time.Minute)
	w := h.Browser().Get("/login?request=req1")
	webtest.WantStatus(t, w, http.StatusBadRequest)
	if !strings.Contains(w.Body.String(), "This sign-in request has expired") || w.Header().Get("Location") != "" {
		t.Errorf("expired request page:\n%s", w.Body)
	}
}

// Item 15 of issue #11: five wrong passwords from anywhere locked the
// account for everyone, its owner included. A browser that signed in to the
// account before carries a signed device cookie (OWASP "device cookies")
// and keeps its own budget; everyone else still meets the account lockout.
func TestLoginDeviceCookieKeepsItsOwnBudget(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	limiter := h.Limiter()
	limiter.DeviceKeys = [][]byte{[]byte("device key of the test, 32 bytes")}
	h.pages.Throttle = limiter
	h.User("ann", "ann@example.com", "ann-password")
	h.User("bob", "bob@example.com", "bob-password")
	login := func(b *webtest.Agent, email, pw string) *httptest.ResponseRecorder {
		t.Helper()
		b.Get("/login")
		return b.Post("/login", url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	}
	// deviceOf is a fresh browser holding only the device cookie that
	// signing in as email left behind.
	deviceOf := func(email, pw string) *http.Cookie {
		t.Helper()
		w := login(h.Browser(), email, pw)
		webtest.WantRedirect(t, w, "/")
		for _, c := range w.Result().Cookies() {
			if c.Name == deviceCookie {
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge < 30*24*3600 || c.Value == "" {
					t.Fatalf("device cookie after signing in: %+v", c)
				}
				return &http.Cookie{Name: c.Name, Value: c.Value}
			}
		}
		t.Fatal("no device cookie after signing in")
		return nil
	}
	withCookie := func(c *http.Cookie) *webtest.Agent {
		b := h.Browser()
		if c != nil {
			b.Cookies[c.Name] = c
		}
		return b
	}
	annDevice, bobDevice := deviceOf("ann@example.com", "ann-password"), deviceOf("bob@example.com", "bob-password")

	// An attacker without the cookie locks the account.
	attacker := h.Browser()
	for range 5 {
		webtest.WantStatus(t, login(attacker, "ann@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	webtest.WantStatus(t, login(attacker, "ann@example.com", "ann-password"), http.StatusTooManyRequests)

	// Ann's browser still signs in, after a typo of its own.
	webtest.WantStatus(t, login(withCookie(annDevice), "ann@example.com", "typo"), http.StatusUnprocessableEntity)
	webtest.WantRedirect(t, login(withCookie(annDevice), "ann@example.com", "ann-password"), "/")
	// The attacker is still locked out, and a forged cookie or another
	// account's gives no budget.
	webtest.WantStatus(t, login(attacker, "ann@example.com", "ann-password"), http.StatusTooManyRequests)
	forged := *annDevice
	forged.Value = "A" + forged.Value[1:]
	if forged.Value == annDevice.Value {
		forged.Value = "B" + forged.Value[1:]
	}
	webtest.WantStatus(t, login(withCookie(&forged), "ann@example.com", "ann-password"), http.StatusTooManyRequests)
	webtest.WantStatus(t, login(withCookie(bobDevice), "ann@example.com", "ann-password"), http.StatusTooManyRequests)

	// A device that spends its budget loses it: then it meets the account's
	// lockout like anyone.
	for range throttle.DefaultDeviceLimit {
		webtest.WantStatus(t, login(withCookie(annDevice), "ann@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	webtest.WantStatus(t, login(withCookie(annDevice), "ann@example.com", "ann-password"), http.StatusTooManyRequests)
}
