package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// errBadLogin is the one message for every refused sign-in, so the page never
// tells whether an address has an account.
const errBadLogin = "Email or password is incorrect."

// Input bounds: RFC 5321 caps an address at 254 characters in practice;
// passwords get generous room, but not enough to make hashing a weapon.
const (
	maxEmailLen    = 320
	maxPasswordLen = 1024
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
	Upstreams []upstreamButton
	// SSO offers "Continue with single sign-on" (home-realm discovery);
	// SSOHint points at it after a refused password.
	SSO, SSOHint bool
}

type accountChoice struct {
	Name, Email, Initial string
}

// Login serves GET and POST /login: the password form, and "Continue as"
// for a browser that is signed in already. With ?request=ID it answers a
// parked authorization request; without, it signs in and goes to return_to
// (a local path) or "/".
func (p *Pages) Login(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(p.login)(w, r)
}

func (p *Pages) login(w http.ResponseWriter, r *http.Request) error {
	f, err := p.loadFlow(r)
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return p.loginForm(w, r, f, http.StatusOK, loginPage{Email: loginHint(f)})
	case http.MethodPost:
		return p.loginPost(w, r, f)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
	}
}

// loginForm renders the page; data carries what the caller already knows
// (typed email, error).
func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request, f *flow, status int, data loginPage) error {
	data.Title = "Sign in"
	data.ClientName = f.clientName()
	returnTo := safeReturnTo(r.URL.Query().Get("return_to"))
	if r.Method == http.MethodPost {
		returnTo = safeReturnTo(r.PostFormValue("return_to"))
	}
	data.Action, data.SwitchURL = p.loginURLs(f, returnTo)
	if f == nil {
		data.ReturnTo = returnTo
	}
	if r.URL.Query().Get("switch") == "" {
		sess, user, ok, err := p.site.CurrentUser(r)
		if err != nil {
			return err
		}
		if ok && f.reusable(sess, p.Now()) {
			data.Continue = choice(user)
		}
	}
	data.ForgotURL, data.RegisterURL = p.selfServiceLinks(f)
	data.Upstreams = p.upstreamButtons(f)
	data.SSO = p.federationOn() && p.Federation.Orgs != nil
	data.CSRF = p.Sessions.CSRFToken(w, r)
	page.AllowFormAction(w, p.upstreamFormTargets(f)...)
	return p.site.Render(w, status, "login", data)
}

// loginURLs are the form's action and the "use another account" link.
func (p *Pages) loginURLs(f *flow, returnTo string) (action, switchURL string) {
	if f != nil {
		action = p.site.WithRequest("/login", f.req.ID)
		return action, action + "&switch=1"
	}
	action = p.site.Path("/login")
	q := url.Values{"switch": {"1"}}
	if returnTo != "" {
		action += "?" + url.Values{"return_to": {returnTo}}.Encode()
		q.Set("return_to", returnTo)
	}
	return action, p.site.Path("/login") + "?" + q.Encode()
}

func (p *Pages) loginPost(w http.ResponseWriter, r *http.Request, f *flow) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if len(email) > maxEmailLen {
		email = email[:maxEmailLen]
	}
	if err := p.Sessions.CheckCSRF(r); err != nil {
		if !errors.Is(err, browser.ErrCSRF) {
			return err
		}
		p.Logger.InfoContext(r.Context(), "login form refused", "err", err)
		return p.loginForm(w, r, f, http.StatusForbidden, loginPage{Email: email,
			Error: "This form has expired. Please try again."})
	}
	if r.PostFormValue("action") == "continue" {
		return p.continueAs(w, r, f)
	}
	if r.PostFormValue("sso") != "" {
		return p.homeRealm(w, r, f, email)
	}
	pw := r.PostFormValue("password")
	if email == "" || pw == "" {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email,
			Error: "Enter your email address and password."})
	}
	ctx := r.Context()
	if msg, err := p.passwordRefused(ctx, email); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return p.loginForm(w, r, f, http.StatusForbidden, loginPage{Email: email, Error: msg, SSOHint: true})
	}
	ip := p.Sessions.RemoteIP(r)
	device := ""
	if c, err := r.Cookie(deviceCookie); err == nil {
		device = p.Throttle.Device(email, c.Value)
	}
	retry, limited, err := p.Throttle.CheckDevice(ctx, email, ip, device)
	if err != nil {
		return err
	}
	if limited {
		p.Logger.InfoContext(ctx, "login throttled", "ip", ip, "trusted_device", device != "")
		return p.throttled(w, r, f, retry)
	}

	user, reason, err := p.checkPassword(ctx, email, pw)
	if err != nil {
		return err
	}
	if reason != "" {
		if err := p.Throttle.Failure(ctx, email, ip); err != nil {
			return err
		}
		p.site.Audit(ctx, storage.AuditEvent{Type: "login.failure", SubjectID: user.ID, ClientID: f.clientID(), IP: ip,
			Details: map[string]string{"reason": reason}})
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email, Error: errBadLogin})
	}

	if err := p.Throttle.SuccessDevice(ctx, email, device); err != nil {
		p.Logger.WarnContext(ctx, "reset login throttle", "err", err)
	}
	if device == "" {
		if err := p.setDeviceCookie(w, email); err != nil {
			return err
		}
	}
	if done, err := p.beginSecondFactor(w, r, f, user); done || err != nil {
		return err
	}
	now := p.Now()
	sess, err := p.Sessions.Start(w, r, user.ID, []string{"pwd"}, now)
	if err != nil {
		return err
	}
	p.site.Audit(ctx, storage.AuditEvent{Type: "login.success", ActorID: user.ID, SubjectID: user.ID, ClientID: f.clientID(),
		IP: ip, Details: map[string]string{"session_id": sess.ID, "amr": "pwd"}})
	if f == nil {
		return page.Redirect(w, r, p.returnTo(r))
	}
	if err := p.bindSession(ctx, f.req.ID, sess.ID, true); err != nil {
		return err
	}
	return page.Redirect(w, r, p.resumeURL(f.req.ID))
}

// checkPassword verifies email and pw. It spends one password hash whatever
// happens, so timing does not tell a known address from an unknown one. A
// non-empty reason is why the sign-in is refused (for the audit log only);
// user is set when the address is known.
func (p *Pages) checkPassword(ctx context.Context, email, pw string) (user storage.User, reason string, err error) {
	user, err = p.Store.GetUserByEmail(ctx, email)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		password.VerifyDummy(pw)
		return storage.User{}, "unknown_user", nil
	case err != nil:
		return storage.User{}, "", fmt.Errorf("web: look up user: %w", err)
	case user.PasswordHash == "":
		password.VerifyDummy(pw)
		return user, "no_password", nil
	case len(pw) > maxPasswordLen:
		password.VerifyDummy(pw[:maxPasswordLen])
		return user, "password_too_long", nil
	}
	ok, rehash, err := password.Verify(user.PasswordHash, pw)
	if err != nil {
		// The stored hash is unusable; an admin must reset it. Spend the time
		// a good hash would have cost.
		p.Logger.ErrorContext(ctx, "stored password hash unusable", "user_id", user.ID, "err", err)
		password.VerifyDummy(pw)
		return user, "bad_hash", nil
	}
	if !ok {
		return user, "bad_password", nil
	}
	if user.Disabled {
		return user, "disabled", nil
	}
	if rehash {
		p.rehash(ctx, user, pw)
	}
	return user, "", nil
}

// rehash replaces a bcrypt or weaker argon2id hash after a successful
// sign-in. Failing to is not worth failing the sign-in over.
func (p *Pages) rehash(ctx context.Context, user storage.User, pw string) {
	h, err := password.Hash(pw)
	if err == nil {
		err = p.Store.UpdateUser(ctx, user.ID, func(u storage.User) (storage.User, error) {
			// Someone changed the password meanwhile: theirs wins.
			if u.PasswordHash == user.PasswordHash {
				u.PasswordHash = h
				u.UpdatedAt = p.Now()
			}
			return u, nil
		})
	}
	if err != nil {
		p.Logger.WarnContext(ctx, "password rehash failed", "user_id", user.ID, "err", err)
	}
}

// continueAs lets the signed-in person answer the request with their
// current session.
func (p *Pages) continueAs(w http.ResponseWriter, r *http.Request, f *flow) error {
	sess, _, ok, err := p.site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok || !f.reusable(sess, p.Now()) {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{
			Error: "Your session has ended. Sign in again."})
	}
	if f == nil {
		return page.Redirect(w, r, p.returnTo(r))
	}
	if err := p.bindSession(r.Context(), f.req.ID, sess.ID, false); err != nil {
		return err
	}
	return page.Redirect(w, r, p.resumeURL(f.req.ID))
}

func (p *Pages) returnTo(r *http.Request) string {
	if to := safeReturnTo(r.PostFormValue("return_to")); to != "" {
		return to
	}
	if to := safeReturnTo(r.URL.Query().Get("return_to")); to != "" {
		return to
	}
	return p.site.Path("/")
}

type throttledPage struct {
	Title, RetryIn, BackURL string
}

func (p *Pages) throttled(w http.ResponseWriter, r *http.Request, f *flow, retry time.Duration) error {
	w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	back, _ := p.loginURLs(f, safeReturnTo(r.PostFormValue("return_to")))
	return p.site.Render(w, http.StatusTooManyRequests, "throttled", throttledPage{
		Title: "Too many attempts", RetryIn: retryIn(retry), BackURL: back})
}

// retryIn says when to retry in words.
func retryIn(d time.Duration) string {
	switch {
	case d <= time.Minute:
		s := int((d + time.Second - 1) / time.Second)
		if s <= 1 {
			return "in a second"
		}
		return fmt.Sprintf("in %d seconds", s)
	case d < 90*time.Second:
		return "in about a minute"
	default:
		return fmt.Sprintf("in about %d minutes", int((d+time.Minute/2)/time.Minute))
	}
}

func (f *flow) clientID() string {
	if f == nil {
		return ""
	}
	return f.client.ID
}

// loginHint pre-fills the email field from the request's login_hint.
func loginHint(f *flow) string {
	if f == nil {
		return ""
	}
	h := strings.TrimSpace(f.form.Get("login_hint"))
	if len(h) > maxEmailLen || !utf8.ValidString(h) {
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
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: v, Path: p.site.Path("/login"), MaxAge: int(deviceCookieAge / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(p.Issuer, "https://"), SameSite: http.SameSiteLaxMode})
	return nil
}
