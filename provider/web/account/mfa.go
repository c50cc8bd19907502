package account

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// SecondFactor enrolls and checks second factors; *mfa.Service is one.
// Errors are mfa's: ErrInvalidCode, ErrNotEnabled, ErrAlreadyEnabled,
// ErrNoEnrollment.
type SecondFactor interface {
	Status(ctx context.Context, userID string) (mfa.Status, error)
	Begin(ctx context.Context, userID, account string, fresh bool) (mfa.Enrollment, error)
	Confirm(ctx context.Context, userID, code string) ([]string, error)
	Verify(ctx context.Context, userID, code string) error
	UseRecoveryCode(ctx context.Context, userID, code string) error
	RegenerateRecoveryCodes(ctx context.Context, userID string) ([]string, error)
	Disable(ctx context.Context, userID string) error
}

// SignInRequest is an application's sign-in in progress (the parked
// authorization request), as the second-factor page needs it when an
// organization's requirement sent the user here (?request=ID).
type SignInRequest struct {
	ID                   string
	ClientID, ClientName string
	// SessionID is the browser session going through the request ("" until
	// one signed in).
	SessionID string
	// RedirectTargets are the URIs the sign-in may end at, for form-action.
	RedirectTargets []string
	// ACR is the authentication context class (provider/acr) the parked
	// authorization needs of the session; "" is no requirement beyond the
	// organization's second factor (acr.TwoFactor on this page).
	ACR string
}

// needed is the class the sign-in waits for on this page.
func (req *SignInRequest) needed() string {
	if req == nil || req.ACR == "" {
		return acr.TwoFactor
	}
	return req.ACR
}

// Requests reads sign-ins in progress; web/signin implements it.
type Requests interface {
	// SignInRequest reads the request the URL's request parameter names:
	// nil without one, an error (a page to show) for one unknown or gone.
	SignInRequest(r *http.Request) (*SignInRequest, error)
}

func (req *SignInRequest) clientName() string {
	if req == nil {
		return ""
	}
	return req.ClientName
}

func (req *SignInRequest) clientID() string {
	if req == nil {
		return ""
	}
	return req.ClientID
}

func (req *SignInRequest) redirectTargets() []string {
	if req == nil {
		return nil
	}
	return req.RedirectTargets
}

// mfaThrottleKey names a user's second-factor guesses for the throttle: the
// key web/signin counts the codes of a sign-in under, so that guesses here
// and there share one budget.
func mfaThrottleKey(userID string) string { return "mfa:" + userID }

// withoutFactor is amr without the methods, and without "mfa" when no
// second factor is left in it.
func withoutFactor(amr []string, methods ...string) []string {
	out := slices.DeleteFunc(slices.Clone(amr), func(m string) bool { return slices.Contains(methods, m) })
	if !slices.Contains(out, acr.AMROTP) && !slices.Contains(out, acr.AMRHardwareKey) {
		out = slices.DeleteFunc(out, func(m string) bool { return m == acr.AMRMultiFactor })
	}
	return out
}

// mfaState selects what the page shows.
const (
	mfaOff    = "off"    // no factor: offer to set one up
	mfaEnroll = "enroll" // QR code and secret, waiting for the first code
	mfaOn     = "on"     // active: recovery codes left, regenerate, disable
	mfaStepUp = "stepup" // active, but this session signed in without it
	mfaCodes  = "codes"  // fresh recovery codes, shown once
	// mfaNeedPasskey: the sign-in needs a passkey (acr.PhishingResistant)
	// and the person has none yet: add one first.
	mfaNeedPasskey = "needpasskey"
)

type mfaPage struct {
	Title  string
	State  string
	Action string
	CSRF   string
	Error  string
	Notice string
	// ClientName is set when an organization's requirement sent the user
	// here during a sign-in; ContinueURL then resumes it.
	ClientName  string
	ContinueURL string
	DoneURL     string
	Email       string

	QR     template.HTML
	Secret string
	URI    string

	RecoveryLeft int
	Codes        []string

	// The step-up offers the code (StepUpCode) and the person's passkeys
	// (Passkey, the script's calls); PasskeysURL adds a passkey.
	StepUpCode  bool
	Passkey     *stepUpForm
	PasskeysURL string
	// PhishingResistant: the application asked for a passkey.
	PhishingResistant bool
}

type stepUpForm struct {
	Begin, Finish string
}

type mfaContext struct {
	req  *SignInRequest
	sess storage.Session
	user storage.User
	st   mfa.Status
	// passkeys: the person has a passkey to step up with.
	passkeys bool
}

// mfaUser reads who the page is for: the signed-in user or, during a
// sign-in (?request=ID), the session going through it. A nil context means
// the browser was sent to sign in first.
func (p *Pages) mfaUser(w http.ResponseWriter, r *http.Request) (*mfaContext, error) {
	c, login, err := p.mfaContextOf(r)
	if c == nil && err == nil {
		return nil, page.Redirect(w, r, login)
	}
	return c, err
}

// mfaContextOf is mfaUser without the redirect: a nil context and the
// login page to go to when the browser is not (the sign-in's) signed in.
func (p *Pages) mfaContextOf(r *http.Request) (*mfaContext, string, error) {
	req, err := p.Requests.SignInRequest(r)
	if err != nil {
		return nil, "", err
	}
	sess, user, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return nil, "", err
	}
	if req != nil && (req.SessionID == "" || sess.ID != req.SessionID) {
		ok = false // another browser's sign-in
	}
	if !ok {
		if req != nil {
			return nil, p.loginURL(req), nil
		}
		return nil, p.Site.Path(pathLogin) + "?" + url.Values{"return_to": {p.Site.Path(PathMFA)}}.Encode(), nil
	}
	st, err := p.MFA.Status(r.Context(), user.ID)
	if err != nil {
		return nil, "", fmt.Errorf("account: second factor status: %w", err)
	}
	has, err := p.hasPasskeys(r.Context(), user.ID)
	if err != nil {
		return nil, "", err
	}
	return &mfaContext{req: req, sess: sess, user: user, st: st, passkeys: has}, "", nil
}

// mfaForm serves GET /account/mfa for a signed-in user: set up an
// authenticator app (the factor is active only after a correct code), see
// and regenerate recovery codes, turn the factor off. During a sign-in
// (?request=ID) it is where an organization that requires a second factor
// sends its members who have none in this session.
func (p *Pages) mfaForm(w http.ResponseWriter, r *http.Request) error {
	c, err := p.mfaUser(w, r)
	if c == nil || err != nil {
		return err
	}
	return p.mfaShow(w, r, c, http.StatusOK, mfaPage{})
}

// mfaPost serves the page's forms, told apart by their action.
func (p *Pages) mfaPost(w http.ResponseWriter, r *http.Request) error {
	c, err := p.mfaUser(w, r)
	if c == nil || err != nil {
		return err
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	switch r.PostFormValue("action") {
	case "begin":
		return p.mfaBegin(w, r, c)
	case "confirm":
		return p.mfaConfirm(w, r, c)
	case "stepup":
		return p.mfaStepUp(w, r, c)
	case "disable", "regenerate":
		return p.mfaManage(w, r, c, r.PostFormValue("action"))
	}
	return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
}

func (p *Pages) selfURL(req *SignInRequest) string {
	if req != nil {
		return p.Site.WithRequest(PathMFA, req.ID)
	}
	return p.Site.Path(PathMFA)
}

// mfaShow renders the state the user is in, unless data names one.
func (p *Pages) mfaShow(w http.ResponseWriter, r *http.Request, c *mfaContext, status int, data mfaPage) error {
	ctx := r.Context()
	data.Title = "Two-step verification"
	data.Action = p.selfURL(c.req)
	data.DoneURL = p.Site.Path(PathAccount)
	data.Email = c.user.Email
	if c.req != nil {
		data.ClientName = c.req.clientName()
		data.ContinueURL = p.Site.WithRequest(pathResume, c.req.ID)
	}
	need := c.req.needed()
	data.PhishingResistant = c.req != nil && need == acr.PhishingResistant
	if p.Passkeys != nil && p.Passkeys.Enabled() {
		data.PasskeysURL = p.passkeysURL(c.req)
	}
	lacking := c.req != nil && !acr.Satisfies(c.sess.AMR, need)
	if data.State == "" {
		switch {
		case lacking && data.PhishingResistant && !c.passkeys:
			data.State = mfaNeedPasskey
		case lacking && (c.passkeys || (c.st.Enabled && !data.PhishingResistant)):
			data.State = mfaStepUp
		case c.st.Enabled:
			data.State = mfaOn
		case c.st.Pending:
			data.State = mfaEnroll
		default:
			data.State = mfaOff
		}
	}
	data.RecoveryLeft = c.st.RecoveryLeft
	if data.State == mfaStepUp {
		// The code counts for a second factor; a passkey for either.
		data.StepUpCode = c.st.Enabled && !data.PhishingResistant
		if c.passkeys && c.req != nil {
			data.Passkey = &stepUpForm{Begin: p.Site.WithRequest(PathStepUpBegin, c.req.ID),
				Finish: p.Site.WithRequest(PathStepUpFinish, c.req.ID)}
		}
	}
	if data.State == mfaEnroll {
		e, err := p.MFA.Begin(ctx, c.user.ID, c.user.Email, false)
		if err != nil {
			return fmt.Errorf("account: read enrollment: %w", err)
		}
		if data.QR, err = qrSVG(e.URI); err != nil {
			return err
		}
		data.Secret, data.URI = groupSecret(e.Secret), e.URI
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	page.AllowFormAction(w, c.req.redirectTargets()...)
	return p.Site.Render(w, status, "mfa", data)
}

// groupSecret splits the base32 secret in fours for typing; apps ignore
// the spaces.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (p *Pages) mfaBegin(w http.ResponseWriter, r *http.Request, c *mfaContext) error {
	if c.st.Enabled {
		return p.mfaShow(w, r, c, http.StatusConflict, mfaPage{Error: "Two-step verification is on already."})
	}
	if _, err := p.MFA.Begin(r.Context(), c.user.ID, c.user.Email, true); err != nil {
		return fmt.Errorf("account: begin enrollment: %w", err)
	}
	return page.RedirectSeeOther(w, r, p.selfURL(c.req))
}

// checkAttempt counts a code (or password) attempt against the user's
// second-factor throttle; a non-nil error page means stop.
func (p *Pages) checkAttempt(w http.ResponseWriter, r *http.Request, c *mfaContext) (stop bool, err error) {
	retry, limited, err := p.Throttle.Check(r.Context(), mfaThrottleKey(c.user.ID), p.Site.Sessions().RemoteIP(r))
	if err != nil || !limited {
		return false, err
	}
	return true, p.throttled(w, c.req, retry)
}

func (p *Pages) attemptFailed(r *http.Request, c *mfaContext, reason string) error {
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	p.Site.Audit(ctx, storage.AuditEvent{Type: "login.mfa_failure", ActorID: c.user.ID, SubjectID: c.user.ID,
		ClientID: c.req.clientID(), IP: ip, Details: map[string]string{"reason": reason, "page": "account"}})
	return p.Throttle.Failure(ctx, mfaThrottleKey(c.user.ID), ip)
}

func (p *Pages) attemptSucceeded(r *http.Request, c *mfaContext) {
	if err := p.Throttle.Success(r.Context(), mfaThrottleKey(c.user.ID)); err != nil {
		p.Site.Logger().WarnContext(r.Context(), "reset second-factor throttle", "err", err)
	}
}

func (p *Pages) mfaConfirm(w http.ResponseWriter, r *http.Request, c *mfaContext) error {
	ctx := r.Context()
	if stop, err := p.checkAttempt(w, r, c); stop || err != nil {
		return err
	}
	codes, err := p.MFA.Confirm(ctx, c.user.ID, strings.TrimSpace(r.PostFormValue("code")))
	switch {
	case errors.Is(err, mfa.ErrInvalidCode):
		if err := p.attemptFailed(r, c, "bad_confirmation_code"); err != nil {
			return err
		}
		return p.mfaShow(w, r, c, http.StatusUnprocessableEntity, mfaPage{State: mfaEnroll,
			Error: "That code is not valid. Check that your app shows Ostiary and enter its current code."})
	case errors.Is(err, mfa.ErrNoEnrollment):
		return p.mfaShow(w, r, c, http.StatusConflict, mfaPage{Error: "Start the setup again."})
	case errors.Is(err, mfa.ErrAlreadyEnabled):
		return p.mfaShow(w, r, c, http.StatusConflict, mfaPage{Error: "Two-step verification is on already."})
	case err != nil:
		return fmt.Errorf("account: confirm enrollment: %w", err)
	}
	p.attemptSucceeded(r, c)
	// The user just proved the factor: this session counts as signed in
	// with it, which is what an organization's requirement waits for.
	if err := p.setOTP(r, c.sess, true); err != nil {
		return err
	}
	// Every other session signed in without it: they end, as at a password
	// change, and so does every token the user holds.
	if err := p.endOtherAccess(r, c.sess, storage.AuditEvent{Type: "mfa.enrolled", ClientID: c.req.clientID(),
		Details: map[string]string{"method": "totp"}}); err != nil {
		return err
	}
	c.st = mfa.Status{Enabled: true, RecoveryLeft: len(codes)}
	return p.mfaShow(w, r, c, http.StatusOK, mfaPage{State: mfaCodes, Codes: codes,
		Notice: "Two-step verification is on."})
}

func (p *Pages) mfaStepUp(w http.ResponseWriter, r *http.Request, c *mfaContext) error {
	if !c.st.Enabled {
		return p.mfaShow(w, r, c, http.StatusConflict, mfaPage{Error: "Set up two-step verification first."})
	}
	if c.req.needed() == acr.PhishingResistant {
		return p.mfaShow(w, r, c, http.StatusConflict, mfaPage{
			Error: "This application needs a passkey: a code from your app is not enough."})
	}
	if stop, err := p.checkAttempt(w, r, c); stop || err != nil {
		return err
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	var err error
	if mfa.LooksLikeRecoveryCode(code) {
		err = p.MFA.UseRecoveryCode(r.Context(), c.user.ID, code)
		if err == nil {
			p.Site.Audit(r.Context(), storage.AuditEvent{Type: "mfa.recovery_used", ActorID: c.user.ID, SubjectID: c.user.ID,
				IP: p.Site.Sessions().RemoteIP(r)})
		}
	} else {
		err = p.MFA.Verify(r.Context(), c.user.ID, code)
	}
	if errors.Is(err, mfa.ErrInvalidCode) {
		if err := p.attemptFailed(r, c, "bad_code"); err != nil {
			return err
		}
		return p.mfaShow(w, r, c, http.StatusUnprocessableEntity, mfaPage{State: mfaStepUp,
			Error: "That code is not valid. Try the current code from your app."})
	}
	if err != nil {
		return fmt.Errorf("account: verify code: %w", err)
	}
	p.attemptSucceeded(r, c)
	if err := p.setOTP(r, c.sess, true); err != nil {
		return err
	}
	return page.RedirectSeeOther(w, r, p.continueURL(c.req))
}

func (p *Pages) continueURL(req *SignInRequest) string {
	if req != nil {
		return p.Site.WithRequest(pathResume, req.ID)
	}
	return p.Site.Path(PathMFA)
}

// mfaManage disables the factor or regenerates recovery codes, each only
// with a current authenticator code or the account password: a session left
// open on a shared computer must not be enough. Either ends every other
// session and every token of the user, as a password change does: a
// sign-in the old factor or a leaked recovery code let in must not outlast
// the change.
func (p *Pages) mfaManage(w http.ResponseWriter, r *http.Request, c *mfaContext, action string) error {
	ctx := r.Context()
	if !c.st.Enabled {
		return p.mfaShow(w, r, c, http.StatusConflict, mfaPage{Error: "Two-step verification is off."})
	}
	if stop, err := p.checkAttempt(w, r, c); stop || err != nil {
		return err
	}
	ok, err := p.proveFactorOrPassword(r, c.user, r.PostFormValue("proof"))
	if err != nil {
		return err
	}
	if !ok {
		if err := p.attemptFailed(r, c, action+"_bad_proof"); err != nil {
			return err
		}
		return p.mfaShow(w, r, c, http.StatusUnprocessableEntity, mfaPage{State: mfaOn,
			Error: "Enter a current code from your authenticator app, or your password."})
	}
	p.attemptSucceeded(r, c)
	if action == "disable" {
		if err := p.MFA.Disable(ctx, c.user.ID); err != nil && !errors.Is(err, mfa.ErrNotEnabled) {
			return fmt.Errorf("account: disable second factor: %w", err)
		}
		// With no factor left this session no longer counts as signed in
		// with one: an organization requiring it asks again.
		if err := p.setOTP(r, c.sess, false); err != nil {
			return err
		}
		if err := p.endOtherAccess(r, c.sess, storage.AuditEvent{Type: "mfa.disabled", ClientID: c.req.clientID()}); err != nil {
			return err
		}
		c.st = mfa.Status{}
		return p.mfaShow(w, r, c, http.StatusOK, mfaPage{State: mfaOff, Notice: "Two-step verification is off."})
	}
	codes, err := p.MFA.RegenerateRecoveryCodes(ctx, c.user.ID)
	if err != nil {
		return fmt.Errorf("account: regenerate recovery codes: %w", err)
	}
	if err := p.endOtherAccess(r, c.sess, storage.AuditEvent{Type: "mfa.recovery_regenerated", ClientID: c.req.clientID()}); err != nil {
		return err
	}
	c.st.RecoveryLeft = len(codes)
	return p.mfaShow(w, r, c, http.StatusOK, mfaPage{State: mfaCodes, Codes: codes,
		Notice: "New recovery codes are ready; the old ones no longer work."})
}

// proveFactorOrPassword accepts a current authenticator code (which is then
// spent) or the account password (only the password for a person without
// the factor).
func (p *Pages) proveFactorOrPassword(r *http.Request, user storage.User, proof string) (bool, error) {
	proof = strings.TrimSpace(proof)
	if proof == "" {
		return false, nil
	}
	if p.MFA != nil {
		err := p.MFA.Verify(r.Context(), user.ID, proof)
		if err == nil {
			return true, nil
		}
		// Without a factor (a passkey change) only the password counts.
		if !errors.Is(err, mfa.ErrInvalidCode) && !errors.Is(err, mfa.ErrNotEnabled) {
			return false, fmt.Errorf("account: verify code: %w", err)
		}
	}
	if user.PasswordHash == "" || len(proof) > maxPasswordLen {
		password.VerifyDummy(proof)
		return false, nil
	}
	ok, _, err := password.Verify(user.PasswordHash, proof)
	if err != nil {
		p.Site.Logger().ErrorContext(r.Context(), "stored password hash unusable", "user_id", user.ID, "err", err)
		return false, nil
	}
	return ok, nil
}

// setOTP records on the session whether it counts as signed in with a
// second factor: from proving one, until the factor is turned off.
func (p *Pages) setOTP(r *http.Request, sess storage.Session, on bool) error {
	err := p.Store.UpdateSession(r.Context(), sess.ID, func(s storage.Session) (storage.Session, error) {
		if on {
			s.AMR = acr.WithFactor(s.AMR, acr.AMROTP)
		} else {
			s.AMR = withoutFactor(s.AMR, acr.AMROTP)
		}
		return s, nil
	})
	if err != nil {
		return fmt.Errorf("account: record the session's second factor: %w", err)
	}
	return nil
}
