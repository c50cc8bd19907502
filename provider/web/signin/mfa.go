package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// SecondFactor checks second factors at sign-in; *mfa.Service is one.
// Errors are mfa's: ErrInvalidCode (and ErrReplayedCode), ErrNotEnabled.
type SecondFactor interface {
	Status(ctx context.Context, userID string) (mfa.Status, error)
	Verify(ctx context.Context, userID, code string) error
	UseRecoveryCode(ctx context.Context, userID, code string) error
}

// passwordOnly is the SecondFactor when the second step is off: nobody has
// one, so a correct password signs in.
type passwordOnly struct{}

func (passwordOnly) Status(context.Context, string) (mfa.Status, error) { return mfa.Status{}, nil }
func (passwordOnly) Verify(context.Context, string, string) error       { return mfa.ErrNotEnabled }
func (passwordOnly) UseRecoveryCode(context.Context, string, string) error {
	return mfa.ErrNotEnabled
}

// MFAChallenges keeps half-finished sign-ins; storage.MFAStore has them.
type MFAChallenges interface {
	CreateMFAChallenge(ctx context.Context, c storage.MFAChallenge) error
	GetMFAChallenge(ctx context.Context, tokenHash []byte, now time.Time) (storage.MFAChallenge, error)
	DeleteMFAChallenge(ctx context.Context, tokenHash []byte) error
}

// PathSecondFactor is the sign-in step after the password.
const PathSecondFactor = "/login/mfa"

// MFACookie carries the random secret of a half-finished sign-in. It is no
// session: until the second factor is given the browser is not signed in,
// so nothing (the authorization endpoint included) treats it as a user.
const MFACookie = "ostiary_mfa"

// mfaChallengeLifetime is how long the second step waits after the
// password: long enough to find the phone, short enough that a password
// alone is worth little.
const mfaChallengeLifetime = 5 * time.Minute

// amrMFA is the session's amr after a password and a code: RFC 8176 "otp"
// for both an authenticator code and a recovery code, which is a one-time
// password too, and "mfa". The audit log tells the two apart.
var amrMFA = acr.WithFactor([]string{acr.AMRPassword}, acr.AMROTP)

// MFAThrottleKey names a user's second-factor guesses for the throttle.
// It is separate from the password's key on purpose: a correct password
// resets that one, and must not reset the count of wrong codes.
func MFAThrottleKey(userID string) string { return "mfa:" + userID }

type secondFactorPage struct {
	Title      string
	ClientName string
	Action     string
	CSRF       string
	Error      string
	LoginURL   string
	// Passkey offers the person's passkeys besides the code: they choose.
	Passkey *passkeyForm
}

// beginSecondFactor is called after a correct password. When the user has
// a second factor it parks the sign-in as a challenge bound to this browser
// and sends it to the code page; done reports that it did.
func (p *Pages) beginSecondFactor(w http.ResponseWriter, r *http.Request, f *Flow, user storage.User) (done bool, err error) {
	ctx := r.Context()
	st, err := p.MFA.Status(ctx, user.ID)
	if err != nil {
		return false, fmt.Errorf("signin: second factor status: %w", err)
	}
	if !st.Enabled {
		return false, nil
	}
	now := p.Site.Now()
	secret := randtoken.New()
	c := storage.MFAChallenge{TokenHash: randtoken.Hash(secret), UserID: user.ID, CreatedAt: now,
		ExpiresAt: now.Add(mfaChallengeLifetime)}
	if f != nil {
		c.RequestID = f.Req.ID
	} else {
		c.ReturnTo = p.returnTo(r)
	}
	if err := p.Challenges.CreateMFAChallenge(ctx, c); err != nil {
		return false, fmt.Errorf("signin: park second-factor challenge: %w", err)
	}
	http.SetCookie(w, p.mfaCookie(secret, int(mfaChallengeLifetime/time.Second)))
	target := p.Site.Path(PathSecondFactor)
	if f != nil {
		target = p.Site.WithRequest(PathSecondFactor, f.Req.ID)
	}
	return true, page.Redirect(w, r, target)
}

func (p *Pages) mfaCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: MFACookie, Value: value, Path: p.Site.Path(PathSecondFactor), MaxAge: maxAge,
		HttpOnly: true, Secure: p.Site.Sessions().Secure, SameSite: http.SameSiteLaxMode}
}

// secondFactor serves GET and POST /login/mfa: the authenticator-code (or
// recovery-code) step of a sign-in whose password was right.
func (p *Pages) secondFactor(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	c, secretHash, err := p.currentChallenge(r, f)
	if err != nil {
		return err
	}
	if r.Method != http.MethodPost {
		return p.secondFactorForm(w, r, f, c, http.StatusOK, "")
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		if !errors.Is(err, browser.ErrCSRF) {
			return err
		}
		p.Site.Logger().InfoContext(r.Context(), "second-factor form refused", "err", err)
		return p.secondFactorForm(w, r, f, c, http.StatusForbidden, "This form has expired. Please try again.")
	}
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" || len(code) > 64 {
		return p.secondFactorForm(w, r, f, c, http.StatusUnprocessableEntity, "Enter the code from your authenticator app.")
	}
	retry, limited, err := p.Throttle.Check(ctx, MFAThrottleKey(c.UserID), ip)
	if err != nil {
		return err
	}
	if limited {
		p.Site.Logger().InfoContext(ctx, "second factor throttled", "ip", ip)
		return p.Flows.Throttled(w, r, f, retry)
	}
	recovery := mfa.LooksLikeRecoveryCode(code)
	if recovery {
		err = p.MFA.UseRecoveryCode(ctx, c.UserID, code)
	} else {
		err = p.MFA.Verify(ctx, c.UserID, code)
	}
	if err != nil {
		if !errors.Is(err, mfa.ErrInvalidCode) && !errors.Is(err, mfa.ErrNotEnabled) {
			return err
		}
		if err := p.Throttle.Failure(ctx, MFAThrottleKey(c.UserID), ip); err != nil {
			return err
		}
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.mfa_failure", SubjectID: c.UserID, ClientID: f.ClientID(), IP: ip,
			Details: map[string]string{"reason": failureReason(err, recovery)}})
		return p.secondFactorForm(w, r, f, c, http.StatusUnprocessableEntity, "That code is not valid. Try the current code from your app.")
	}

	if recovery {
		p.Site.Audit(ctx, storage.AuditEvent{Type: "mfa.recovery_used", ActorID: c.UserID, SubjectID: c.UserID, IP: ip})
	}
	target, err := p.completeSecondFactor(w, r, f, c, secretHash, amrMFA, nil)
	if err != nil {
		return err
	}
	return page.Redirect(w, r, target)
}

// completeSecondFactor ends a sign-in whose second factor was right: the
// half-finished sign-in is used up (of two tabs, one signs in), a session
// starts with amr, and target is where the browser goes next.
func (p *Pages) completeSecondFactor(w http.ResponseWriter, r *http.Request, f *Flow, c storage.MFAChallenge, secretHash []byte,
	amr []string, details map[string]string) (target string, err error) {
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	// The user may have been disabled or deleted since the password.
	if u, err := p.Store.GetUser(ctx, c.UserID); errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		_ = p.Challenges.DeleteMFAChallenge(ctx, secretHash)
		return "", challengeGone(errors.New("signin: user disabled or deleted during the second step"))
	} else if err != nil {
		return "", fmt.Errorf("signin: read user: %w", err)
	}
	// Single use: of two tabs posting good codes, one signs in.
	if err := p.Challenges.DeleteMFAChallenge(ctx, secretHash); errors.Is(err, storage.ErrNotFound) {
		return "", challengeGone(err)
	} else if err != nil {
		return "", fmt.Errorf("signin: finish second-factor challenge: %w", err)
	}
	http.SetCookie(w, p.mfaCookie("", -1))
	if err := p.Throttle.Success(ctx, MFAThrottleKey(c.UserID)); err != nil {
		p.Site.Logger().WarnContext(ctx, "reset second-factor throttle", "err", err)
	}
	sess, err := p.Site.Sessions().Start(w, r, c.UserID, amr, p.Site.Now())
	if err != nil {
		return "", err
	}
	d := map[string]string{"session_id": sess.ID, "amr": strings.Join(amr, " ")}
	for k, v := range details {
		d[k] = v
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "login.success", ActorID: c.UserID, SubjectID: c.UserID, ClientID: f.ClientID(),
		IP: ip, Details: d})
	if f == nil {
		if to := SafeReturnTo(c.ReturnTo); to != "" {
			return to, nil
		}
		return p.Site.Path("/"), nil
	}
	if err := p.Flows.Bind(ctx, f.Req.ID, sess.ID, true); err != nil {
		return "", err
	}
	return p.Flows.ResumeURL(f.Req.ID), nil
}

func failureReason(err error, recovery bool) string {
	switch {
	case errors.Is(err, mfa.ErrReplayedCode):
		return "replayed_code"
	case recovery:
		return "bad_recovery_code"
	case errors.Is(err, mfa.ErrNotEnabled):
		return "not_enabled"
	}
	return "bad_code"
}

// currentChallenge is the browser's half-finished sign-in. It must belong
// to the same parked request as the URL names (or to none, with none).
func (p *Pages) currentChallenge(r *http.Request, f *Flow) (storage.MFAChallenge, []byte, error) {
	ck, err := r.Cookie(MFACookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return storage.MFAChallenge{}, nil, challengeGone(err)
	}
	hash := randtoken.Hash(ck.Value)
	c, err := p.Challenges.GetMFAChallenge(r.Context(), hash, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return storage.MFAChallenge{}, nil, challengeGone(err)
	}
	if err != nil {
		return storage.MFAChallenge{}, nil, fmt.Errorf("signin: read second-factor challenge: %w", err)
	}
	if want := f.RequestID(); c.RequestID != want {
		return storage.MFAChallenge{}, nil, challengeGone(errors.New("signin: challenge belongs to another request"))
	}
	return c, hash, nil
}

// challengeGone: no half-finished sign-in on this browser, or it expired.
func challengeGone(err error) error {
	return &page.Error{Status: http.StatusBadRequest, Title: "Your sign-in has expired",
		Detail: "The time to enter your code ran out, or the sign-in finished elsewhere. Sign in again.", Err: err}
}

func (p *Pages) secondFactorForm(w http.ResponseWriter, r *http.Request, f *Flow, c storage.MFAChallenge, status int, msg string) error {
	data := secondFactorPage{Title: "Two-step verification", ClientName: f.ClientName(), Error: msg,
		Action: p.Site.Path(PathSecondFactor), LoginURL: p.Site.Path(PathLogin)}
	var err error
	if data.Passkey, err = p.factorForm(r.Context(), f, c.UserID); err != nil {
		return err
	}
	if f != nil {
		data.Action = p.Site.WithRequest(PathSecondFactor, f.Req.ID)
		data.LoginURL = p.Site.WithRequest(PathLogin, f.Req.ID)
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	page.AllowFormAction(w, f.RedirectTargets()...)
	return p.Site.Render(w, status, "mfa_login", data)
}

// HasOTP reports whether a session signed in with a second factor.
func HasOTP(s storage.Session) bool { return slices.Contains(s.AMR, "otp") }
