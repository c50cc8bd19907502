package signin

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// errBadLogin is the one message for every refused sign-in, so the page never
// tells whether an address has an account.
const errBadLogin = "Email or password is incorrect."

// Input bounds: RFC 5321 caps an address at 254 characters in practice;
// passwords get generous room, but not enough to make hashing a weapon.
const (
	MaxEmailLen    = 320
	MaxPasswordLen = 1024
)

type loginPage struct {
	Title      string
	ClientName string
	Action     string
	CSRF       string
	Email      string
	Error      string
	ReturnTo   string
	Continue   *accountChoice
	SwitchURL  string
	// ForgotURL and RegisterURL link to password reset and registration
	// when they are on.
	ForgotURL   string
	RegisterURL string
	// Upstreams are the "Sign in with …" buttons.
	Upstreams []Button
	// SSO offers "Continue with single sign-on" (home-realm discovery);
	// SSOHint points at it after a refused password.
	SSO, SSOHint bool
	// Passkey is the "Sign in with a passkey" form (nil: passkeys off).
	Passkey *passkeyForm
}

type accountChoice struct {
	Name, Email, Initial string
}

// login serves GET and POST /login: the password form, and "Continue as"
// for a browser that is signed in already. With ?request=ID it answers a
// parked authorization request; without, it signs in and goes to return_to
// (a local path) or "/".
func (p *Pages) login(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		return p.loginPost(w, r, f)
	}
	return p.loginForm(w, r, f, http.StatusOK, loginPage{Email: loginHint(f)})
}

// loginForm renders the page; data carries what the caller already knows
// (typed email, error).
func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request, f *Flow, status int, data loginPage) error {
	data.Title = "Sign in"
	data.ClientName = f.ClientName()
	returnTo := SafeReturnTo(r.URL.Query().Get("return_to"))
	if r.Method == http.MethodPost {
		returnTo = SafeReturnTo(r.PostFormValue("return_to"))
	}
	data.Action, data.SwitchURL = p.Flows.LoginURLs(f, returnTo)
	if f == nil {
		data.ReturnTo = returnTo
	}
	if r.URL.Query().Get("switch") == "" {
		sess, user, ok, err := p.Site.CurrentUser(r)
		if err != nil {
			return err
		}
		if ok && f.reusable(sess, p.Site.Now()) {
			data.Continue = choice(user)
		}
	}
	forgot, register := p.SelfService.LoginLinks()
	if forgot != "" {
		data.ForgotURL = p.Flows.InFlow(forgot, f)
	}
	if register != "" {
		data.RegisterURL = p.Flows.InFlow(register, f)
	}
	data.Upstreams = p.Upstream.Buttons(f)
	data.SSO = p.Upstream.SSO()
	data.Passkey = p.signInForm(f)
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	page.AllowFormAction(w, p.formTargets(f)...)
	return p.Site.Render(w, status, "login", data)
}

func (p *Pages) loginPost(w http.ResponseWriter, r *http.Request, f *Flow) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if len(email) > MaxEmailLen {
		email = email[:MaxEmailLen]
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		if !errors.Is(err, browser.ErrCSRF) {
			return err
		}
		p.Site.Logger().InfoContext(r.Context(), "login form refused", "err", err)
		return p.loginForm(w, r, f, http.StatusForbidden, loginPage{Email: email,
			Error: "This form has expired. Please try again."})
	}
	if r.PostFormValue("action") == "continue" {
		return p.continueAs(w, r, f)
	}
	if r.PostFormValue("sso") != "" {
		refusal, err := p.Upstream.HomeRealm(w, r, f, email)
		if err != nil || refusal == "" {
			return err
		}
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email, Error: refusal})
	}
	pw := r.PostFormValue("password")
	if email == "" || pw == "" {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email,
			Error: "Enter your email address and password."})
	}
	ctx := r.Context()
	if msg, err := p.Upstream.PasswordRefused(ctx, email); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return p.loginForm(w, r, f, http.StatusForbidden, loginPage{Email: email, Error: msg, SSOHint: true})
	}
	ip := p.Site.Sessions().RemoteIP(r)
	device := ""
	if c, err := r.Cookie(deviceCookie); err == nil {
		device = p.Throttle.Device(email, c.Value)
	}
	retry, limited, err := p.Throttle.CheckDevice(ctx, email, ip, device)
	if err != nil {
		return err
	}
	if limited {
		p.Site.Logger().InfoContext(ctx, "login throttled", "ip", ip, "trusted_device", device != "")
		return p.Flows.Throttled(w, r, f, retry)
	}

	user, reason, err := p.passwords.Check(ctx, email, pw)
	if err != nil {
		return err
	}
	if reason != "" {
		if err := p.Throttle.Failure(ctx, email, ip); err != nil {
			return err
		}
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.failure", SubjectID: user.ID, ClientID: f.ClientID(), IP: ip,
			Details: map[string]string{"reason": reason}})
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email, Error: errBadLogin})
	}

	if err := p.Throttle.SuccessDevice(ctx, email, device); err != nil {
		p.Site.Logger().WarnContext(ctx, "reset login throttle", "err", err)
	}
	if device == "" {
		if err := p.setDeviceCookie(w, email); err != nil {
			return err
		}
	}
	if done, err := p.beginSecondFactor(w, r, f, user); done || err != nil {
		return err
	}
	now := p.Site.Now()
	sess, err := p.Site.Sessions().Start(w, r, user.ID, []string{"pwd"}, now)
	if err != nil {
		return err
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "login.success", ActorID: user.ID, SubjectID: user.ID, ClientID: f.ClientID(),
		IP: ip, Details: map[string]string{"session_id": sess.ID, "amr": "pwd"}})
	if f == nil {
		return page.Redirect(w, r, p.returnTo(r))
	}
	if err := p.Flows.Bind(ctx, f.Req.ID, sess.ID, true); err != nil {
		return err
	}
	return page.Redirect(w, r, p.Flows.ResumeURL(f.Req.ID))
}

// continueAs lets the signed-in user answer the request with their
// current session.
func (p *Pages) continueAs(w http.ResponseWriter, r *http.Request, f *Flow) error {
	sess, _, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok || !f.reusable(sess, p.Site.Now()) {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{
			Error: "Your session has ended. Sign in again."})
	}
	if f == nil {
		return page.Redirect(w, r, p.returnTo(r))
	}
	if err := p.Flows.Bind(r.Context(), f.Req.ID, sess.ID, false); err != nil {
		return err
	}
	return page.Redirect(w, r, p.Flows.ResumeURL(f.Req.ID))
}

func (p *Pages) returnTo(r *http.Request) string {
	if to := SafeReturnTo(r.PostFormValue("return_to")); to != "" {
		return to
	}
	if to := SafeReturnTo(r.URL.Query().Get("return_to")); to != "" {
		return to
	}
	return p.Site.Path("/")
}

// formTargets are where the login page's forms may end up: the
// application's redirect URIs and, after the 303 of an upstream button, the
// upstreams (browsers apply form-action to redirects too).
func (p *Pages) formTargets(f *Flow) []string {
	return append(f.RedirectTargets(), p.Upstream.AuthOrigins()...)
}

// loginHint pre-fills the email field from the request's login_hint.
func loginHint(f *Flow) string {
	if f == nil {
		return ""
	}
	h := strings.TrimSpace(f.Form.Get("login_hint"))
	if len(h) > MaxEmailLen || !utf8.ValidString(h) {
		return ""
	}
	return h
}

func choice(u storage.User) *accountChoice {
	name := strings.TrimSpace(u.Name)
	if name == "" {
		name = u.Email
	}
	initial := "?"
	for _, c := range name {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			initial = strings.ToUpper(string(c))
			break
		}
	}
	return &accountChoice{Name: name, Email: u.Email, Initial: initial}
}

// deviceCookie names the browser as one that signed in to an account
// before (throttle.Limiter.IssueDevice), so that its failed sign-ins count
// against its own budget and not the account's.
const deviceCookie = "ostiary_device"

// deviceCookieAge is how long a browser stays a known device.
const deviceCookieAge = 365 * 24 * time.Hour

func (p *Pages) setDeviceCookie(w http.ResponseWriter, email string) error {
	v, err := p.Throttle.IssueDevice(email)
	if err != nil || v == "" {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: v, Path: p.Site.Path(PathLogin), MaxAge: int(deviceCookieAge / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(p.Site.Issuer(), "https://"), SameSite: http.SameSiteLaxMode})
	return nil
}

// Initial is the letter a button or avatar shows for name.
func Initial(name string) string { return choice(storage.User{Name: name}).Initial }
