package selfservice_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

const strongPassword = "violet kettle orbit marmalade"

var tokenField = regexp.MustCompile(`name="token" value="([^"]*)"`)

func registerForm(email string) url.Values {
	return url.Values{"name": {"Ada Lovelace"}, "email": {email}, "password": {strongPassword}}
}

// answer is what a response shows: status, headers that matter and body.
func answer(w *httptest.ResponseRecorder) string {
	h := w.Header()
	return w.Result().Status + "\n" + h.Get("Content-Type") + "\n" + h.Get("Content-Security-Policy") + "\n" +
		h.Get("Cache-Control") + "\n" + strings.Join(h.Values("Set-Cookie"), "\n") + "\n\n" + w.Body.String()
}

func TestRegisterAnswersAlikeForKnownAndUnknownEmail(t *testing.T) {
	t.Parallel()
	known := newHarness(t, nil)
	ada := known.User("ada", "ada@example.com", "an old password of ada")
	unknown := newHarness(t, nil)

	post := func(ph *harness, email string) *httptest.ResponseRecorder {
		a := ph.Browser()
		webtest.WantStatus(t, a.Get("/register"), http.StatusOK)
		return a.Post("/register", registerForm(email))
	}
	wk := post(known, "Ada@Example.com")
	wu := post(unknown, "Ada@Example.com")
	webtest.WantStatus(t, wk, http.StatusOK)
	if answer(wk) != answer(wu) {
		t.Fatalf("registration answers differ:\nknown address:\n%s\nunknown address:\n%s", answer(wk), answer(wu))
	}
	if !strings.Contains(wk.Body.String(), "Check your email") {
		t.Fatalf("answer:\n%s", wk.Body)
	}

	// The owner of the known address is told; nothing about the account changed.
	if m := known.selfMailer.Sent(); len(m) != 1 || m[0].To != "ada@example.com" || m[0].Template != "register_existing" {
		t.Fatalf("mails for a known address: %+v", m)
	}
	u, err := known.Store.GetUser(known.Ctx(), ada.ID)
	if err != nil || u.PasswordHash != ada.PasswordHash || u.Name != ada.Name {
		t.Fatalf("the existing account changed: %+v %v", u, err)
	}
	if len(known.Audits("registration.existing_email")) != 1 {
		t.Error("no audit event for a registration attempt on a known address")
	}
	// The unknown address got an unverified account and a verification mail.
	if m := unknown.selfMailer.Sent(); len(m) != 1 || m[0].To != "ada@example.com" || m[0].Template != "verify_email" {
		t.Fatalf("mails for a new address: %+v", m)
	}
	nu, err := unknown.Store.GetUserByEmail(unknown.Ctx(), "ada@example.com")
	if err != nil || nu.EmailVerified || nu.Name != "Ada Lovelace" {
		t.Fatalf("new account: %+v %v", nu, err)
	}
	if ok, _, _ := password.Verify(nu.PasswordHash, strongPassword); !ok {
		t.Error("the new account's password does not verify")
	}
	if ev := unknown.Audits("user.registered"); len(ev) != 1 || ev[0].SubjectID != nu.ID {
		t.Errorf("audit: %+v", ev)
	}
}

func TestForgotPasswordAnswersAlikeForKnownAndUnknownEmail(t *testing.T) {
	t.Parallel()
	known := newHarness(t, nil)
	known.User("ada", "ada@example.com", "an old password of ada")
	unknown := newHarness(t, nil)
	post := func(ph *harness) *httptest.ResponseRecorder {
		a := ph.Browser()
		webtest.WantStatus(t, a.Get("/forgot-password"), http.StatusOK)
		return a.Post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	}
	wk, wu := post(known), post(unknown)
	webtest.WantStatus(t, wk, http.StatusOK)
	if answer(wk) != answer(wu) {
		t.Fatalf("reset answers differ:\nknown address:\n%s\nunknown address:\n%s", answer(wk), answer(wu))
	}
	if m := known.selfMailer.Sent(); len(m) != 1 || m[0].Template != "reset_password" || m[0].To != "ada@example.com" {
		t.Fatalf("mails for a known address: %+v", m)
	}
	if m := unknown.selfMailer.Sent(); len(m) != 0 {
		t.Fatalf("mails for an unknown address: %+v", m)
	}
}

func TestRegisterRefusesBadInput(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	a := ph.Browser()
	a.Get("/register")
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"email": {"not-an-address"}, "password": {strongPassword}}, "valid email address"},
		{url.Values{"email": {"ada@example.com"}, "password": {"short"}}, "at least 12 characters"},
		{url.Values{"email": {"ada@example.com"}, "password": {"1q2w3e4r5t6y"}}, "most common"},
		{url.Values{"email": {"ada.lovelace@example.com"}, "password": {"Ada.Lovelace@example.com"}}, "email address"},
		{url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "name": {"bad\x00name"}}, "name of at most"},
	} {
		w := a.Post("/register", tc.form)
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("form %v: page does not say %q:\n%s", tc.form, tc.want, w.Body)
		}
	}
	// Without the form token nothing happens either.
	w := a.Post("/register", url.Values{"csrf_token": {"forged"}, "email": {"ada@example.com"}, "password": {strongPassword}})
	webtest.WantStatus(t, w, http.StatusForbidden)
	if us, _ := ph.Store.GetUserByEmail(ph.Ctx(), "ada@example.com"); us.ID != "" {
		t.Fatal("a refused form created an account")
	}
	if len(ph.selfMailer.Sent()) != 0 {
		t.Fatal("a refused form sent mail")
	}
}

func TestRegistrationModes(t *testing.T) {
	t.Parallel()
	open := newHarness(t, nil)
	w := open.Browser().Get("/login")
	if !strings.Contains(w.Body.String(), `href="/register"`) || !strings.Contains(w.Body.String(), `href="/forgot-password"`) {
		t.Fatalf("the login page links neither registration nor reset:\n%s", w.Body)
	}

	invite := newHarness(t, func(pp *selfservice.Pages) { pp.InviteOnly = true })
	a := invite.Browser()
	w = a.Get("/register")
	webtest.WantStatus(t, w, http.StatusForbidden)
	if !strings.Contains(w.Body.String(), "by invitation") {
		t.Fatalf("invite-only page:\n%s", w.Body)
	}
	webtest.WantStatus(t, a.Post("/register", registerForm("ada@example.com")), http.StatusForbidden)
	if strings.Contains(a.Get("/login").Body.String(), `href="/register"`) {
		t.Error("the login page links registration in invite-only mode")
	}

	closed := newHarness(t, func(pp *selfservice.Pages) { pp.Registration = false })
	a = closed.Browser()
	webtest.WantStatus(t, a.Get("/register"), http.StatusNotFound)
	webtest.WantStatus(t, a.Post("/register", registerForm("ada@example.com")), http.StatusNotFound)
	if _, err := closed.Store.GetUserByEmail(closed.Ctx(), "ada@example.com"); err == nil {
		t.Fatal("closed registration created an account")
	}
	if len(invite.selfMailer.Sent())+len(closed.selfMailer.Sent()) != 0 {
		t.Fatal("mail sent while registration is off")
	}
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	a := ph.Browser()
	a.Get("/register")
	webtest.WantStatus(t, a.Post("/register", registerForm("ada@example.com")), http.StatusOK)
	link := ph.selfMailer.LastLink(t)
	if !strings.HasPrefix(link, "/verify-email?token=") {
		t.Fatalf("verification link %q", link)
	}
	token, _ := url.ParseQuery(strings.TrimPrefix(link, "/verify-email?"))

	// A mail scanner fetching the link twice uses nothing up.
	scanner := ph.Browser()
	for range 2 {
		w := scanner.Get(link)
		webtest.WantStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), "Confirm my email address") {
			t.Fatalf("verification page:\n%s", w.Body)
		}
	}
	u, _ := ph.Store.GetUserByEmail(ph.Ctx(), "ada@example.com")
	if u.EmailVerified {
		t.Fatal("a GET verified the address")
	}
	a.Get(link) // the page whose form token the POST carries
	w := a.Post("/verify-email", url.Values{"token": token["token"]})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Email address confirmed") {
		t.Fatalf("after confirming:\n%s", w.Body)
	}
	if u, _ = ph.Store.GetUserByEmail(ph.Ctx(), "ada@example.com"); !u.EmailVerified {
		t.Fatal("the address is not verified")
	}
	if len(ph.Audits("email.verified")) != 1 {
		t.Error("no audit event")
	}
	// Single use.
	w = a.Post("/verify-email", url.Values{"token": token["token"]})
	webtest.WantStatus(t, w, http.StatusBadRequest)
	if !strings.Contains(w.Body.String(), "expired") {
		t.Fatalf("second use:\n%s", w.Body)
	}
}

func TestVerifyEmailLinkExpires(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, func(pp *selfservice.Pages) { pp.VerifyEmailLifetime = time.Hour })
	a := ph.Browser()
	a.Get("/register")
	a.Post("/register", registerForm("ada@example.com"))
	link := ph.selfMailer.LastLink(t)
	token, _ := url.ParseQuery(strings.TrimPrefix(link, "/verify-email?"))
	ph.Clock.Add(time.Hour + time.Second)
	a.Get(link)
	webtest.WantStatus(t, a.Post("/verify-email", url.Values{"token": token["token"]}), http.StatusBadRequest)
	if u, _ := ph.Store.GetUserByEmail(ph.Ctx(), "ada@example.com"); u.EmailVerified {
		t.Fatal("an expired link verified the address")
	}
}

func resetToken(t *testing.T, link string) string {
	t.Helper()
	if !strings.HasPrefix(link, "/reset-password?token=") {
		t.Fatalf("reset link %q", link)
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(link, "/reset-password?"))
	return q.Get("token")
}

func TestResetPasswordEndsOtherSessionsAndTokens(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	const old = "the old password of ada"
	ada := ph.User("ada", "ada@example.com", old)
	ph.Client(storage.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"}})
	laptop, phone := ph.Browser(), ph.Browser()
	laptop.SignIn("ada@example.com", old)
	phone.SignIn("ada@example.com", old)
	phoneSess, _ := phone.Session()
	now := ph.Clock.Now()
	for _, sig := range []string{"refresh-1", "access-1"} {
		kind := storage.KindRefreshToken
		if strings.HasPrefix(sig, "access") {
			kind = storage.KindAccessToken
		}
		err := ph.Store.CreateToken(ph.Ctx(), storage.TokenRecord{Kind: kind, Signature: sig, RequestID: "req", ClientID: "app",
			Subject: ada.ID, SessionID: phoneSess.ID, Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Someone without a session asks for a reset, twice: only the newest link works.
	stranger := ph.Browser()
	stranger.Get("/forgot-password")
	stranger.Post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	first := resetToken(t, ph.selfMailer.LastLink(t))
	stranger.Post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	second := resetToken(t, ph.selfMailer.LastLink(t))
	stranger.Get("/reset-password?token=" + url.QueryEscape(first))
	w := stranger.Post("/reset-password", url.Values{"token": {first}, "password": {strongPassword}, "confirm": {strongPassword}})
	webtest.WantStatus(t, w, http.StatusBadRequest)

	// The link's page uses nothing up; a weak password gets the form back
	// with a fresh token, and the one it replaced is spent.
	webtest.WantStatus(t, laptop.Get("/reset-password?token="+url.QueryEscape(second)), http.StatusOK)
	w = laptop.Post("/reset-password", url.Values{"token": {second}, "password": {"1q2w3e4r5t6y"}, "confirm": {"1q2w3e4r5t6y"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "most common") {
		t.Fatalf("weak password page:\n%s", w.Body)
	}
	fresh := tokenField.FindStringSubmatch(w.Body.String())
	if fresh == nil || fresh[1] == second {
		t.Fatalf("the form did not come back with a fresh token:\n%s", w.Body)
	}
	w = laptop.Post("/reset-password", url.Values{"token": {fresh[1]}, "password": {strongPassword}, "confirm": {"typo"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	w = laptop.Post("/reset-password", url.Values{"token": {fresh[1]}, "password": {strongPassword}, "confirm": {strongPassword}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Your password has been changed") {
		t.Fatalf("after reset:\n%s", w.Body)
	}

	// The laptop, where the reset happened, stays signed in; the phone is out.
	if _, ok := laptop.Session(); !ok {
		t.Error("the browser that reset the password was signed out")
	}
	if _, ok := phone.Session(); ok {
		t.Error("another browser is still signed in after the reset")
	}
	if ended := ph.Notified.Ended(); len(ended) != 1 || ended[0] != ada.ID+"/"+phoneSess.ID {
		t.Errorf("back-channel notifications: %v", ended)
	}
	for _, kind := range []storage.TokenKind{storage.KindRefreshToken, storage.KindAccessToken} {
		sig := "refresh-1"
		if kind == storage.KindAccessToken {
			sig = "access-1"
		}
		if rec, err := ph.Store.GetToken(ph.Ctx(), kind, sig); err != nil || rec.Active {
			t.Errorf("%s still active after the reset (%v)", sig, err)
		}
	}
	u, _ := ph.Store.GetUser(ph.Ctx(), ada.ID)
	if ok, _, _ := password.Verify(u.PasswordHash, strongPassword); !ok || !u.EmailVerified {
		t.Fatalf("after reset: new password verifies %v, verified %v", ok, u.EmailVerified)
	}
	if ev := ph.Audits("password.reset"); len(ev) != 1 || ev[0].Details["sessions_ended"] != "1" || ev[0].Details["tokens_deactivated"] != "2" {
		t.Errorf("audit: %+v", ev)
	}
	// The token is spent.
	w = laptop.Post("/reset-password", url.Values{"token": {fresh[1]}, "password": {strongPassword + "!"}, "confirm": {strongPassword + "!"}})
	webtest.WantStatus(t, w, http.StatusBadRequest)
	// The old password no longer signs in; the new one does.
	other := ph.Browser()
	other.Get("/login")
	webtest.WantStatus(t, other.Post("/login", url.Values{"action": {"login"}, "email": {"ada@example.com"}, "password": {old}}), http.StatusUnprocessableEntity)
	other.SignIn("ada@example.com", strongPassword)
}

func TestMailsToOneAddressAreCapped(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, func(pp *selfservice.Pages) { pp.Mail.PerHour = 3 })
	ph.User("ada", "ada@example.com", "an old password of ada")
	a := ph.Browser()
	a.Get("/forgot-password")
	for range 5 {
		webtest.WantStatus(t, a.Post("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusOK)
	}
	if n := len(ph.selfMailer.Sent()); n != 3 {
		t.Fatalf("%d mails sent, want the cap of 3", n)
	}
	ph.Clock.Add(time.Hour)
	a.Post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	if n := len(ph.selfMailer.Sent()); n != 4 {
		t.Fatalf("after an hour: %d mails, want 4", n)
	}
}

func TestDevMailPage(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	// The page shows what the development sender delivered, from memory:
	// the outbox keeps no readable body.
	err := ph.devMail.Send(ph.Ctx(), mail.Message{ID: "m1", To: "ada@example.com", Subject: "Reset your Ostiary password",
		Text: "Open " + webtest.Issuer + "/reset-password?token=abc\nor https://elsewhere.example/x\n", Date: ph.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	w := ph.Browser().Get("/dev/mail")
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	if !strings.Contains(body, `<a href="`+webtest.Issuer+`/reset-password?token=abc">`) || strings.Contains(body, `<a href="https://elsewhere`) ||
		!strings.Contains(body, "Reset your Ostiary password") {
		t.Fatalf("dev mail page:\n%s", body)
	}
	off := newHarness(t, func(pp *selfservice.Pages) { pp.DevMail = nil })
	webtest.WantStatus(t, off.Browser().Get("/dev/mail"), http.StatusNotFound)
}

var hrefOf = regexp.MustCompile(`<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>`)

// link returns the href of the anchor in body whose text is text.
func link(t *testing.T, body, text string) string {
	t.Helper()
	for _, m := range hrefOf.FindAllStringSubmatch(body, -1) {
		if m[2] == text {
			return strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	t.Fatalf("no link %q in:\n%s", text, body)
	return ""
}

// Someone sent to sign in by an application who has no account yet creates
// one and lands back in that application's authorization, not on a bare
// sign-in page that has forgotten it (what Keycloak's "Register" link on
// its login page does).
func TestRegistrationFromAnAuthorizationReturnsToIt(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	ph.Client(webtest.AppClient())
	ph.AuthRequest("req1", "app", webtest.AuthForm())
	b := ph.Browser()

	w := b.Get("/login?request=req1")
	webtest.WantStatus(t, w, http.StatusOK)
	reg := link(t, w.Body.String(), "Create an account")
	if reg != "/register?request=req1" {
		t.Fatalf("register link = %q", reg)
	}
	if forgot := link(t, w.Body.String(), "Forgot your password?"); forgot != "/forgot-password?request=req1" {
		t.Fatalf("forgot link = %q", forgot)
	}

	w = b.Get(reg)
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "Example App") || !strings.Contains(body, `action="/register?request=req1"`) {
		t.Fatalf("registration page names no application or drops the request:\n%s", body)
	}
	if back := link(t, w.Body.String(), "Sign in"); back != "/login?request=req1" {
		t.Fatalf("sign-in link of the registration page = %q", back)
	}
	w = b.Post("/register?request=req1", registerForm("new@example.com"))
	webtest.WantStatus(t, w, http.StatusOK)
	next := link(t, w.Body.String(), "Go to sign in")
	if next != "/login?request=req1" {
		t.Fatalf("after registration the sign-in link is %q", next)
	}

	w = b.Get(next)
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Example App") {
		t.Fatalf("sign-in page after registration names no application:\n%s", w.Body)
	}
	w = b.Post(next, url.Values{"action": {"login"}, "email": {"new@example.com"}, "password": {strongPassword}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")

	// Without a request the pages link to the plain sign-in, as before.
	w = b.Get("/register")
	if back := link(t, w.Body.String(), "Sign in"); back != "/login" {
		t.Fatalf("plain registration page links to %q", back)
	}
	// A request that is gone is the same page the login shows for it, not
	// a registration that would lead nowhere.
	ph.Clock.Add(time.Hour)
	w = b.Get("/register?request=req1")
	if w.Code == http.StatusOK {
		t.Fatalf("expired request: %d\n%s", w.Code, w.Body)
	}
}

// Item 10 of issue #11: a password change ends the other sessions, and now
// also every pending reset link, which whoever knew the old password may
// have asked for.
func TestPasswordChangeCancelsResetLinks(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	const old = "the old password of ada"
	ph.User("ada", "ada@example.com", old)
	stranger := ph.Browser()
	stranger.Get("/forgot-password")
	stranger.Post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	token := resetToken(t, ph.selfMailer.LastLink(t))

	a, _ := ph.SignInAt("ada@example.com", old, "/account")
	webtest.WantSeeOther(t, a.Post("/account/password", url.Values{"current_password": {old}, "new_password": {strongPassword},
		"confirm_password": {strongPassword}}), "/account?done=password")

	stranger.Get("/reset-password?token=" + url.QueryEscape(token))
	w := stranger.Post("/reset-password", url.Values{"token": {token}, "password": {"mallory chose this one"}, "confirm": {"mallory chose this one"}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusBadRequest, "This link has expired")
	ph.Browser().SignIn("ada@example.com", strongPassword)
}

// countingStores count the storage calls whose difference would tell a
// known address from an unknown one.
type countingStore struct {
	selfservice.Store
	calls map[string]int
}

func (c *countingStore) GetUserByEmail(ctx context.Context, email string) (storage.User, error) {
	c.calls["GetUserByEmail"]++
	return c.Store.GetUserByEmail(ctx, email)
}

func (c *countingStore) CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error {
	c.calls["CreateOneTimeToken"]++
	return c.Store.CreateOneTimeToken(ctx, t)
}

type countingHits struct {
	selfservice.HitCounter
	calls map[string]int
}

func (c *countingHits) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	c.calls["Hit"]++
	return c.HitCounter.Hit(ctx, key, window, now)
}

// Item 16 of issue #11: a reset request for a known address did more work
// (issue a token, render, seal and store a mail) than one for an unknown
// address, measurably slower. Now both do the same calls, write the same
// rows and answer the same page; the mail worker decides later (the
// Preparer), and only the known address gets a link.
func TestForgotPasswordDoesTheSameWorkForKnownAndUnknown(t *testing.T) {
	t.Parallel()
	work := func(email string) (string, *harness) {
		calls := map[string]int{}
		ph := newHarness(t, func(pp *selfservice.Pages) {
			pp.Store = &countingStore{Store: pp.Store, calls: calls}
			pp.Mail.Store = &countingHits{HitCounter: pp.Mail.Store, calls: calls}
		})
		ph.User("ada", "ada@example.com", strongPassword)
		ph.selfMailer.Prepare = nil // the worker has not run yet
		b := ph.Browser()
		b.Get("/forgot-password")
		w := b.Post("/forgot-password", url.Values{"email": {email}})
		body := strings.ReplaceAll(w.Body.String(), email, "ADDRESS")
		return fmt.Sprintf("status %d, calls %v, prepared %d, sent %d, audits %d, page %s", w.Code, calls,
			ph.selfMailer.Prepared(), len(ph.selfMailer.Sent()), len(ph.Audits("password.reset_requested")), body), ph
	}
	known, kh := work("ada@example.com")
	unknown, uh := work("nobody@example.com")
	if known != unknown {
		t.Fatalf("known and unknown addresses differ:\nknown:   %.300s\nunknown: %.300s", known, unknown)
	}
	// The worker then mails the known address only.
	for _, c := range []struct {
		ph    *harness
		email string
		want  int
	}{{kh, "ada@example.com", 1}, {uh, "nobody@example.com", 0}} {
		d, ok, err := c.ph.pages.PrepareReset(c.ph.Ctx(), c.email)
		if err != nil || ok != (c.want == 1) {
			t.Fatalf("PrepareReset(%s) = %v, %v, %v", c.email, d, ok, err)
		}
	}
}

// A completed reset cancels the user's other outstanding reset links too
// (here one sent to the address the account had before).
func TestResetCancelsOtherResetLinks(t *testing.T) {
	t.Parallel()
	ph := newHarness(t, nil)
	ada := ph.User("ada", "ada@example.com", "the old password of ada")
	now := ph.Clock.Now()
	other := randtoken.New()
	err := ph.Store.CreateOneTimeToken(ph.Ctx(), storage.OneTimeToken{TokenHash: randtoken.Hash(other), Purpose: selfservice.PurposeResetPassword,
		UserID: ada.ID, Email: "ada@old.example", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b := ph.Browser()
	b.Get("/forgot-password")
	b.Post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	token := resetToken(t, ph.selfMailer.LastLink(t))
	b.Get("/reset-password?token=" + url.QueryEscape(token))
	w := b.Post("/reset-password", url.Values{"token": {token}, "password": {strongPassword}, "confirm": {strongPassword}})
	webtest.WantPage(t, w, w.Body.String(), http.StatusOK, "Your password has been changed")
	if _, err := ph.Store.GetOneTimeToken(ph.Ctx(), randtoken.Hash(other), selfservice.PurposeResetPassword, now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the other reset link survived the reset: %v", err)
	}
}

// A zero link lifetime or mail cap is a wiring mistake New refuses, not a
// request for a default (the binary's values are provider.DefaultConfig's).
func TestNewRefusesZeroSettings(t *testing.T) {
	t.Parallel()
	for name, zero := range map[string]func(*selfservice.Pages){
		"verify lifetime": func(p *selfservice.Pages) { p.VerifyEmailLifetime = 0 },
		"reset lifetime":  func(p *selfservice.Pages) { p.ResetPasswordLifetime = 0 },
		"mails per hour":  func(p *selfservice.Pages) { p.Mail.PerHour = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			var cfg selfservice.Pages
			h := newHarness(t, func(p *selfservice.Pages) { cfg = *p })
			cfg.Requests = &signin.Flows{Site: h.Site(), Store: h.Store}
			mc := *cfg.Mail
			cfg.Mail = &mc
			if _, err := selfservice.New(cfg); err != nil {
				t.Fatalf("the harness's settings: %v", err)
			}
			zero(&cfg)
			if _, err := selfservice.New(cfg); err == nil || !strings.Contains(err.Error(), "must be positive") {
				t.Fatalf("New with a zero %s: %v", name, err)
			}
		})
	}
}
