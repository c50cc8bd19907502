package webtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/passkey/passkeytest"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/storage"
)

// SignInAs signs the agent in as userID by starting its browser session
// directly through Env.Sessions, as a sign-in page does, with amr (default
// "pwd"): for tests of pages behind the sign-in that mount no sign-in page,
// or need a session no mounted page makes (an upstream sign-in's "fed").
// It replaces any session the agent had.
func (a *Agent) SignInAs(userID string, amr ...string) storage.Session {
	a.Env.T.Helper()
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	r := httptest.NewRequest(http.MethodPost, Issuer+"/login", nil)
	r.RemoteAddr = "198.51.100.20:40000"
	for _, c := range a.Cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	sess, err := a.Env.Sessions.Start(w, r, userID, amr, a.Env.Clock.Now())
	if err != nil {
		a.Env.T.Fatalf("sign in as %s: %v", userID, err)
	}
	for _, c := range w.Result().Cookies() {
		a.Cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
	return sess
}

// SignedIn is a new browser signed in as userID (SignInAs).
func (e *Env) SignedIn(userID string, amr ...string) (*Agent, storage.Session) {
	e.T.Helper()
	a := e.Browser()
	return a, a.SignInAs(userID, amr...)
}

// SignInAt is a new browser signed in through the /login form (SignIn),
// which then opens local: the page whose form token the test posts with.
func (e *Env) SignInAt(email, pw, local string) (*Agent, storage.Session) {
	e.T.Helper()
	a := e.Browser()
	a.SignIn(email, pw)
	s, ok := a.Session()
	if !ok {
		e.T.Fatal("not signed in")
	}
	a.Get(local)
	return a, s
}

// PathAccountMFA is the second-factor page of web/account, which Enroll
// drives (webtest imports no area).
const PathAccountMFA = "/account/mfa"

var (
	// SecretText is the manual-entry key on the enrollment page.
	SecretText = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7 ]+)</code>`)
	// CodeItem is one recovery code on the page that shows them.
	CodeItem = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)
)

// Enroll turns on the second factor of the agent's signed-in user through
// /account/mfa, as a user would: it reads the key from the page's manual
// entry text. It returns the secret and the recovery codes shown.
func Enroll(a *Agent) ([]byte, []string) {
	a.Env.T.Helper()
	t := a.Env.T
	w := a.Get(PathAccountMFA)
	WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `value="begin"`) {
		t.Fatalf("account page offers no setup:\n%s", w.Body)
	}
	w = a.Post(PathAccountMFA, url.Values{"action": {"begin"}})
	WantStatus(t, w, http.StatusSeeOther)
	w = a.Get(PathAccountMFA)
	WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	m := SecretText.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "<svg class=\"qr\"") || !strings.Contains(body, "otpauth://totp/") {
		t.Fatalf("enrollment page lacks the QR code, key or URI:\n%s", body)
	}
	secret, err := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	w = a.Post(PathAccountMFA, url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(a.Env.Clock.Now()))}})
	WantStatus(t, w, http.StatusOK)
	var codes []string
	for _, m := range CodeItem.FindAllStringSubmatch(w.Body.String(), -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("confirmation showed %d recovery codes, want 10:\n%s", len(codes), w.Body)
	}
	return secret, codes
}

// CreateOrg creates an organization named name through the organizations
// page (web/orgs), as the signed-in agent, and returns its id.
func (a *Agent) CreateOrg(name string) string {
	t := a.Env.T
	t.Helper()
	a.Get("/organizations")
	w := a.Post("/organizations", url.Values{"action": {"create"}, "name": {name}})
	WantStatus(t, w, http.StatusSeeOther)
	loc := w.Header().Get("Location")
	id, ok := strings.CutPrefix(strings.TrimSuffix(loc, "?done=created"), "/organizations/")
	if !ok {
		t.Fatalf("create redirected to %q", loc)
	}
	return id
}

// Passkey registers a passkey of user on auth (a software authenticator on
// Issuer's origin) through the service, as the account page does.
func (e *Env) Passkey(user storage.User, auth *passkeytest.Authenticator) (storage.Passkey, *passkeytest.Credential) {
	e.T.Helper()
	b, err := e.Passkeys.BeginRegistration(e.Ctx(), user)
	if err != nil {
		e.T.Fatal(err)
	}
	resp, cred, err := auth.Create(b.Options, passkeytest.Tweak{})
	if err != nil {
		e.T.Fatal(err)
	}
	pk, err := e.Passkeys.FinishRegistration(e.Ctx(), accounts.Actor{ID: user.ID}, user, b.Secret, "Test key", resp)
	if err != nil {
		e.T.Fatal(err)
	}
	return pk, cred
}
