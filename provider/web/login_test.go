package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/storage"
)

func appClient() storage.Client {
	return storage.Client{ID: "app", Name: "Example App", RedirectURIs: []string{"https://app.example/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example/bye"}, Scopes: []string{"openid", "profile", "email"}}
}

func authForm(extra ...string) url.Values {
	f := url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"s1"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// Signing in during a request must give the browser a new session id and
// secret, drop the one it had (no session fixation), and record the login
// on the request for prompt=login / max_age.
func TestLoginStartsNewSession(t *testing.T) {
	h := newHarness(t)
	h.user("ann", "ann@example.com", "ann-password")
	h.user("bob", "bob@example.com", "bob-password")
	h.client(appClient())
	b := h.browser()
	b.signIn("bob@example.com", "bob-password")
	before, ok := b.session()
	if !ok {
		t.Fatal("first sign-in made no session")
	}
	oldCookie := b.cookies["ostiary_session"].Value

	h.authRequest("req1", "app", authForm("login_hint", "ann@example.com"))
	w := b.get("/login?request=req1&switch=1")
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	if !strings.Contains(body, "Example App") || !strings.Contains(body, `value="ann@example.com"`) {
		t.Errorf("login page lacks the client name or the login_hint:\n%s", body)
	}
	h.clock.add(time.Minute)
	w = b.post("/login?request=req1", url.Values{"action": {"login"}, "email": {"ANN@example.com"}, "password": {"ann-password"}})
	wantRedirect(t, w, "/oauth2/authorize/resume?request=req1")

	after, ok := b.session()
	if !ok || after.UserID != "ann" {
		t.Fatalf("after sign-in: session %+v ok=%v; want ann's", after, ok)
	}
	if after.ID == before.ID || b.cookies["ostiary_session"].Value == oldCookie {
		t.Error("sign-in kept the previous session id or cookie")
	}
	if _, err := h.store.GetSession(h.ctx(), before.ID, h.clock.now()); err == nil {
		t.Error("previous session row still exists")
	}
	if len(after.AMR) != 1 || after.AMR[0] != "pwd" || !after.AuthTime.Equal(h.clock.now()) {
		t.Errorf("session AMR %v AuthTime %v; want [pwd] and now", after.AMR, after.AuthTime)
	}
	ar := h.authReq("req1")
	if ar.SessionID != after.ID || !ar.LoginAt.Equal(h.clock.now()) {
		t.Errorf("auth request SessionID %q LoginAt %v; want %q and now", ar.SessionID, ar.LoginAt, after.ID)
	}
	evs := h.audits("login.success")
	if len(evs) != 2 || evs[0].SubjectID != "ann" || evs[0].ClientID != "app" || evs[0].IP != "198.51.100.20" {
		t.Errorf("login.success events = %+v", evs)
	}
	if strings.Contains(h.logs.String(), "ann-password") || strings.Contains(auditText(h), "ann-password") {
		t.Error("the password reached the log or the audit trail")
	}
}

func auditText(h *harness) string {
	var sb strings.Builder
	for _, e := range h.audits("") {
		sb.WriteString(e.Type + " ")
		for k, v := range e.Details {
			sb.WriteString(k + "=" + v + " ")
		}
	}
	return sb.String()
}

// No user enumeration (DESIGN.md; OWASP Authentication Cheat Sheet): an
// unknown address, a wrong password and a disabled account get the same
// bytes back.
func TestLoginFailuresLookAlike(t *testing.T) {
	h := newHarness(t)
	h.user("ann", "ann@example.com", "ann-password")
	off := h.user("dis", "dis@example.com", "dis-password")
	if err := h.store.UpdateUser(h.ctx(), off.ID, func(u storage.User) (storage.User, error) {
		u.Disabled = true
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.get("/login")
	attempt := func(email, pw string) (int, []byte) {
		w := b.post("/login", url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
		return w.Code, w.Body.Bytes()
	}
	// One address for all three, so the echoed email cannot differ.
	codeWrong, bodyWrong := attempt("ann@example.com", "nope")
	h.clock.add(time.Hour) // new throttle window
	if err := h.store.UpdateUser(h.ctx(), "ann", func(u storage.User) (storage.User, error) {
		u.Email = "gone@example.com"
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	codeUnknown, bodyUnknown := attempt("ann@example.com", "nope")
	h.clock.add(time.Hour)
	if err := h.store.UpdateUser(h.ctx(), "dis", func(u storage.User) (storage.User, error) {
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
	if _, ok := b.session(); ok {
		t.Error("a refused sign-in made a session (disabled account?)")
	}
	reasons := map[string]bool{}
	for _, e := range h.audits("login.failure") {
		reasons[e.Details["reason"]] = true
	}
	for _, want := range []string{"bad_password", "unknown_user", "disabled"} {
		if !reasons[want] {
			t.Errorf("no login.failure audit with reason %s (got %v)", want, reasons)
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	h := newHarness(t)
	h.user("ann", "ann@example.com", "ann-password")
	b := h.browser()
	b.get("/login")
	for range 5 {
		w := b.post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"guess"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		h.clock.add(time.Minute)
	}
	// The right password does not get through while limited.
	w := b.post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}})
	wantStatus(t, w, http.StatusTooManyRequests)
	if ra := w.Header().Get("Retry-After"); ra != "600" {
		t.Errorf("Retry-After = %q, want 600 (window of 15 min opened 5 min ago)", ra)
	}
	if !strings.Contains(w.Body.String(), "Try again in about 10 minutes") {
		t.Errorf("429 page does not say when to retry:\n%s", w.Body)
	}
	if _, ok := b.session(); ok {
		t.Error("signed in while throttled")
	}
	h.clock.add(10 * time.Minute)
	b.get("/login")
	w = b.post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}})
	wantRedirect(t, w, "/")
}

func TestLoginCSRF(t *testing.T) {
	h := newHarness(t)
	h.user("ann", "ann@example.com", "ann-password")
	for name, tc := range map[string]struct {
		token, site string
	}{
		"missing token":                 {"", "same-origin"},
		"wrong token":                   {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "same-origin"},
		"cross-site post":               {"", "cross-site"}, // with the page's own valid token
		"same-site (sibling subdomain)": {"", "same-site"},
	} {
		b := h.browser()
		b.get("/login")
		if tc.token == "" && tc.site == "same-origin" {
			b.csrf = ""
		}
		b.site = tc.site
		form := url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}}
		if tc.token != "" {
			form.Set("csrf_token", tc.token)
		}
		w := b.post("/login", form)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, w.Code)
		}
		if _, ok := b.session(); ok {
			t.Errorf("%s: signed in", name)
		}
	}
}

func TestLoginRehashesBcrypt(t *testing.T) {
	h := newHarness(t)
	// "allmine" under bcrypt cost 10 (x/crypto/bcrypt's known answer).
	u := storage.User{ID: "imp", Email: "imp@example.com", PasswordHash: "$2y$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"}
	if err := h.store.CreateUser(h.ctx(), u); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.signIn("imp@example.com", "allmine")
	got, err := h.store.GetUser(h.ctx(), "imp")
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
	h := newHarness(t)
	h.user("ann", "ann@example.com", "ann-password")
	h.client(appClient())
	b := h.browser()
	b.signIn("ann@example.com", "ann-password")
	sess, _ := b.session()

	h.authRequest("req1", "app", authForm())
	w := b.get("/login?request=req1")
	if !strings.Contains(w.Body.String(), "Continue as Ann Example") || !strings.Contains(w.Body.String(), "Use another account") {
		t.Fatalf("no Continue as:\n%s", w.Body)
	}
	w = b.post("/login?request=req1", url.Values{"action": {"continue"}})
	wantRedirect(t, w, "/oauth2/authorize/resume?request=req1")
	ar := h.authReq("req1")
	if ar.SessionID != sess.ID || !ar.LoginAt.IsZero() {
		t.Errorf("SessionID %q LoginAt %v; want the existing session and no login time", ar.SessionID, ar.LoginAt)
	}

	// prompt=login (OIDC Core 3.1.2.1) needs a password: no Continue.
	h.authRequest("req2", "app", authForm("prompt", "login"))
	if w := b.get("/login?request=req2"); strings.Contains(w.Body.String(), "Continue as") {
		t.Error("Continue as offered for prompt=login")
	}
	if w := b.post("/login?request=req2", url.Values{"action": {"continue"}}); w.Code == http.StatusFound {
		t.Error("Continue accepted for prompt=login")
	}
	// max_age exceeded likewise.
	h.clock.add(2 * time.Minute)
	h.authRequest("req3", "app", authForm("max_age", "60"))
	if w := b.get("/login?request=req3"); strings.Contains(w.Body.String(), "Continue as") {
		t.Error("Continue as offered past max_age")
	}
}

func TestLoginReturnTo(t *testing.T) {
	h := newHarness(t)
	h.user("ann", "ann@example.com", "ann-password")
	for _, tc := range []struct{ returnTo, want string }{
		{"/account?tab=sessions", "/account?tab=sessions"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/ok\r\nSet-Cookie: x=y", "/"},
	} {
		b := h.browser()
		b.get("/login?return_to=" + url.QueryEscape(tc.returnTo))
		w := b.post("/login?return_to="+url.QueryEscape(tc.returnTo),
			url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}, "return_to": {tc.returnTo}})
		wantRedirect(t, w, tc.want)
	}
}

func TestLoginExpiredRequest(t *testing.T) {
	h := newHarness(t)
	h.client(appClient())
	h.authRequest("req1", "app", authForm())
	h.clock.add(31 * time.Minute)
	w := h.browser().get("/login?request=req1")
	wantStatus(t, w, http.StatusBadRequest)
	if !strings.Contains(w.Body.String(), "This sign-in request has expired") || w.Header().Get("Location") != "" {
		t.Errorf("expired request page:\n%s", w.Body)
	}
}

// Item 15 of issue #11: five wrong passwords from anywhere locked the
// account for everyone, its owner included. A browser that signed in to the
// account before carries a signed device cookie (OWASP "device cookies")
// and keeps its own budget; everyone else still meets the account lockout.
func TestLoginDeviceCookieKeepsItsOwnBudget(t *testing.T) {
	h := newHarness(t)
	limiter := testLimiter(h.store, h.clock.now)
	limiter.DeviceKeys = [][]byte{[]byte("device key of the test, 32 bytes")}
	h.pages.Throttle = limiter
	h.user("ann", "ann@example.com", "ann-password")
	h.user("bob", "bob@example.com", "bob-password")
	login := func(b *agent, email, pw string) *httptest.ResponseRecorder {
		t.Helper()
		b.get("/login")
		return b.post("/login", url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	}
	// deviceOf is a fresh browser holding only the device cookie that
	// signing in as email left behind.
	deviceOf := func(email, pw string) *http.Cookie {
		t.Helper()
		w := login(h.browser(), email, pw)
		wantRedirect(t, w, "/")
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
	withCookie := func(c *http.Cookie) *agent {
		b := h.browser()
		if c != nil {
			b.cookies[c.Name] = c
		}
		return b
	}
	annDevice, bobDevice := deviceOf("ann@example.com", "ann-password"), deviceOf("bob@example.com", "bob-password")

	// An attacker without the cookie locks the account.
	attacker := h.browser()
	for range 5 {
		wantStatus(t, login(attacker, "ann@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	wantStatus(t, login(attacker, "ann@example.com", "ann-password"), http.StatusTooManyRequests)

	// Ann's browser still signs in, after a typo of its own.
	wantStatus(t, login(withCookie(annDevice), "ann@example.com", "typo"), http.StatusUnprocessableEntity)
	wantRedirect(t, login(withCookie(annDevice), "ann@example.com", "ann-password"), "/")
	// The attacker is still locked out, and a forged cookie or another
	// account's gives no budget.
	wantStatus(t, login(attacker, "ann@example.com", "ann-password"), http.StatusTooManyRequests)
	forged := *annDevice
	forged.Value = "A" + forged.Value[1:]
	if forged.Value == annDevice.Value {
		forged.Value = "B" + forged.Value[1:]
	}
	wantStatus(t, login(withCookie(&forged), "ann@example.com", "ann-password"), http.StatusTooManyRequests)
	wantStatus(t, login(withCookie(bobDevice), "ann@example.com", "ann-password"), http.StatusTooManyRequests)

	// A device that spends its budget loses it: then it meets the account's
	// lockout like anyone.
	for range throttle.DefaultDeviceLimit {
		wantStatus(t, login(withCookie(annDevice), "ann@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	wantStatus(t, login(withCookie(annDevice), "ann@example.com", "ann-password"), http.StatusTooManyRequests)
}
