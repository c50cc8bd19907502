package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

// SecondFactor enrolls and checks second factors; *mfa.Service is one.
// Errors are mfa's: ErrInvalidCode (and ErrReplayedCode), ErrNotEnabled,
// ErrAlreadyEnabled, ErrNoEnrollment.
type SecondFactor interface {
	Status(ctx context.Context, userID string) (mfa.Status, error)
	Begin(ctx context.Context, userID, account string, fresh bool) (mfa.Enrollment, error)
	Confirm(ctx context.Context, userID, code string) ([]string, error)
	Verify(ctx context.Context, userID, code string) error
	UseRecoveryCode(ctx context.Context, userID, code string) error
	RegenerateRecoveryCodes(ctx context.Context, userID string) ([]string, error)
	Disable(ctx context.Context, userID string) error
}

// PathAccountMFA is the page to set up and manage the second factor.
const PathAccountMFA = "/account/mfa"

// mfaState selects what the page shows.
const (
	mfaOff    = "off"    // no factor: offer to set one up
	mfaEnroll = "enroll" // QR code and secret, waiting for the first code
	mfaOn     = "on"     // active: recovery codes left, regenerate, disable
	mfaStepUp = "stepup" // active, but this session signed in without it
	mfaCodes  = "codes"  // fresh recovery codes, shown once
)

type mfaPage struct {
	Title  string
	State  string
	Action string
	CSRF   string
	Error  string
	Notice string
	// ClientName is set when an organization's requirement sent the person
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
}

// AccountMFA serves GET and POST /account/mfa for a signed-in person: set up
// an authenticator app (the factor is active only after a correct code),
// see and regenerate recovery codes, turn the factor off. During a sign-in
// (?request=ID) it is where an organization that requires a second factor
// sends its members who have none in this session.
func (p *Pages) AccountMFA(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(p.accountMFA)(w, r)
}

type mfaContext struct {
	f    *signin.Flow
	sess storage.Session
	user storage.User
	st   mfa.Status
}

func (p *Pages) accountMFA(w http.ResponseWriter, r *http.Request) error {
	if p.MFA == nil {
		return page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	var (
		sess storage.Session
		user storage.User
		ok   bool
	)
	if f != nil {
		sess, user, ok, err = p.Flows.Session(r, f)
	} else {
		sess, user, ok, err = p.site.CurrentUser(r)
	}
	if err != nil {
		return err
	}
	if !ok {
		if f != nil {
			return page.Redirect(w, r, p.site.WithRequest("/login", f.Req.ID))
		}
		return page.Redirect(w, r, p.site.Path("/login")+"?"+url.Values{"return_to": {p.site.Path(PathAccountMFA)}}.Encode())
	}
	st, err := p.MFA.Status(r.Context(), user.ID)
	if err != nil {
		return fmt.Errorf("web: second factor status: %w", err)
	}
	c := &mfaContext{f: f, sess: sess, user: user, st: st}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return p.mfaShow(w, r, c, http.StatusOK, mfaPage{})
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
	}
	if err := p.Sessions.CheckCSRF(r); err != nil {
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

func (p *Pages) selfURL(f *signin.Flow) string {
	if f != nil {
		return p.site.WithRequest(PathAccountMFA, f.Req.ID)
	}
	return p.site.Path(PathAccountMFA)
}

// mfaShow renders the state the person is in, unless data names one.
func (p *Pages) mfaShow(w http.ResponseWriter, r *http.Request, c *mfaContext, status int, data mfaPage) error {
	ctx := r.Context()
	data.Title = "Two-step verification"
	data.Action = p.selfURL(c.f)
	data.DoneURL = p.site.Path("/account")
	data.Email = c.user.Email
	if c.f != nil {
		data.ClientName = c.f.ClientName()
		data.ContinueURL = p.Flows.ResumeURL(c.f.Req.ID)
	}
	if data.State == "" {
		switch {
		case c.st.Enabled && c.f != nil && !signin.HasOTP(c.sess):
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
	if data.State == mfaEnroll {
		e, err := p.MFA.Begin(ctx, c.user.ID, c.user.Email, false)
		if err != nil {
			return fmt.Errorf("web: read enrollment: %w", err)
		}
		if data.QR, err = qrSVG(e.URI); err != nil {
			return err
		}
		data.Secret, data.URI = groupSecret(e.Secret), e.URI
	}
	data.CSRF = p.Sessions.CSRFToken(w, r)
	page.AllowFormAction(w, c.f.RedirectTargets()...)
	return p.site.Render(w, status, "mfa", data)
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
		return fmt.Errorf("web: begin enrollment: %w", err)
	}
	return page.RedirectSeeOther(w, r, p.selfURL(c.f))
}

// checkAttempt counts a code (or password) attempt against the person's
// second-factor throttle; a non-nil error page means stop.
func (p *Pages) checkAttempt(w http.ResponseWriter, r *http.Request, c *mfaContext) (stop bool, err error) {
	retry, limited, err := p.Throttle.Check(r.Context(), signin.MFAThrottleKey(c.user.ID), p.Sessions.RemoteIP(r))
	if err != nil || !limited {
		return false, err
	}
	return true, p.Flows.Throttled(w, r, c.f, retry)
}

func (p *Pages) attemptFailed(r *http.Request, c *mfaContext, reason string) error {
	ctx := r.Context()
	ip := p.Sessions.RemoteIP(r)
	p.site.Audit(ctx, storage.AuditEvent{Type: "login.mfa_failure", ActorID: c.user.ID, SubjectID: c.user.ID,
		ClientID: c.f.ClientID(), IP: ip, Details: map[string]string{"reason": reason, "page": "account"}})
	return p.Throttle.Failure(ctx, signin.MFAThrottleKey(c.user.ID), ip)
}

func (p *Pages) attemptSucceeded(r *http.Request, c *mfaContext) {
	if err := p.Throttle.Success(r.Context(), signin.MFAThrottleKey(c.user.ID)); err != nil {
		p.Logger.WarnContext(r.Context(), "reset second-factor throttle", "err", err)
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
		return fmt.Errorf("web: confirm enrollment: %w", err)
	}
	p.attemptSucceeded(r, c)
	// The person just proved the factor: this session counts as signed in
	// with it, which is what an organization's requirement waits for.
	if err := p.setOTP(r, c.sess, true); err != nil {
		return err
	}
	// Every other session signed in without it: they end, as at a password
	// change, and so does every token the person holds.
	if err := p.endOtherAccess(r, c.sess, storage.AuditEvent{Type: "mfa.enrolled", ClientID: c.f.ClientID(),
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
	if stop, err := p.checkAttempt(w, r, c); stop || err != nil {
		return err
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	var err error
	if mfa.LooksLikeRecoveryCode(code) {
		err = p.MFA.UseRecoveryCode(r.Context(), c.user.ID, code)
		if err == nil {
			p.site.Audit(r.Context(), storage.AuditEvent{Type: "mfa.recovery_used", ActorID: c.user.ID, SubjectID: c.user.ID,
				IP: p.Sessions.RemoteIP(r)})
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
		return fmt.Errorf("web: verify code: %w", err)
	}
	p.attemptSucceeded(r, c)
	if err := p.setOTP(r, c.sess, true); err != nil {
		return err
	}
	return page.RedirectSeeOther(w, r, p.continueURL(c.f))
}

func (p *Pages) continueURL(f *signin.Flow) string {
	if f != nil {
		return p.Flows.ResumeURL(f.Req.ID)
	}
	return p.site.Path(PathAccountMFA)
}

// mfaManage disables the factor or regenerates recovery codes, each only
// with a current authenticator code or the account password: a session left
// open on a shared computer must not be enough. Either ends every other
// session and every token of the person, as a password change does: a
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
			return fmt.Errorf("web: disable second factor: %w", err)
		}
		// With no factor left this session no longer counts as signed in
		// with one: an organization requiring it asks again.
		if err := p.setOTP(r, c.sess, false); err != nil {
			return err
		}
		if err := p.endOtherAccess(r, c.sess, storage.AuditEvent{Type: "mfa.disabled", ClientID: c.f.ClientID()}); err != nil {
			return err
		}
		c.st = mfa.Status{}
		return p.mfaShow(w, r, c, http.StatusOK, mfaPage{State: mfaOff, Notice: "Two-step verification is off."})
	}
	codes, err := p.MFA.RegenerateRecoveryCodes(ctx, c.user.ID)
	if err != nil {
		return fmt.Errorf("web: regenerate recovery codes: %w", err)
	}
	if err := p.endOtherAccess(r, c.sess, storage.AuditEvent{Type: "mfa.recovery_regenerated", ClientID: c.f.ClientID()}); err != nil {
		return err
	}
	c.st.RecoveryLeft = len(codes)
	return p.mfaShow(w, r, c, http.StatusOK, mfaPage{State: mfaCodes, Codes: codes,
		Notice: "New recovery codes are ready; the old ones no longer work."})
}

// proveFactorOrPassword accepts a current authenticator code (which is then
// spent) or the account password.
func (p *Pages) proveFactorOrPassword(r *http.Request, user storage.User, proof string) (bool, error) {
	proof = strings.TrimSpace(proof)
	if proof == "" {
		return false, nil
	}
	err := p.MFA.Verify(r.Context(), user.ID, proof)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, mfa.ErrInvalidCode) {
		return false, fmt.Errorf("web: verify code: %w", err)
	}
	if user.PasswordHash == "" || len(proof) > signin.MaxPasswordLen {
		password.VerifyDummy(proof)
		return false, nil
	}
	ok, _, err := password.Verify(user.PasswordHash, proof)
	if err != nil {
		p.Logger.ErrorContext(r.Context(), "stored password hash unusable", "user_id", user.ID, "err", err)
		return false, nil
	}
	return ok, nil
}

// setOTP records on the session whether it counts as signed in with a
// second factor: from proving one, until the factor is turned off.
func (p *Pages) setOTP(r *http.Request, sess storage.Session, on bool) error {
	err := p.Store.UpdateSession(r.Context(), sess.ID, func(s storage.Session) (storage.Session, error) {
		switch {
		case on && !signin.HasOTP(s):
			s.AMR = append(s.AMR, "otp")
		case !on:
			s.AMR = slices.DeleteFunc(slices.Clone(s.AMR), func(m string) bool { return m == "otp" })
		}
		return s, nil
	})
	if err != nil {
		return fmt.Errorf("web: record the session's second factor: %w", err)
	}
	return nil
}
