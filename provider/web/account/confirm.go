package account

import (
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// checkCurrentPassword verifies the user's password before a sensitive
// change, throttled like sign-in so a left-open browser cannot be used to
// guess it. msg is what to show when it is refused.
func (a accountAction) checkCurrentPassword(pw string) (msg string, err error) {
	ctx := a.r.Context()
	ip := a.p.Site.Sessions().RemoteIP(a.r)
	retry, limited, err := a.p.Throttle.Check(ctx, a.user.Email, ip)
	if err != nil {
		return "", err
	}
	if limited {
		return "Too many wrong passwords. Try again " + page.RetryIn(retry) + ".", nil
	}
	ok := false
	if a.user.PasswordHash != "" && pw != "" && len(pw) <= maxPasswordLen {
		ok, _, err = password.Verify(a.user.PasswordHash, pw)
		if err != nil {
			a.p.Site.Logger().ErrorContext(ctx, "stored password hash unusable", "user_id", a.user.ID, "err", err)
			ok = false
		}
	} else {
		password.VerifyDummy(pw[:min(len(pw), maxPasswordLen)])
	}
	if !ok {
		if err := a.p.Throttle.Failure(ctx, a.user.Email, ip); err != nil {
			return "", err
		}
		a.p.Site.Audit(ctx, storage.AuditEvent{Type: "password.check_failed", ActorID: a.user.ID, SubjectID: a.user.ID, IP: ip})
		return "Your current password is not correct.", nil
	}
	// Check counted this attempt against the account; a right password
	// forgets the count, as a sign-in does.
	if err := a.p.Throttle.Success(ctx, a.user.Email); err != nil {
		a.p.Site.Logger().WarnContext(ctx, "reset password throttle", "err", err)
	}
	return "", nil
}

// throttled is the sign-in's page for too many attempts (web/signin shows
// the same), with a way back to the login page of the sign-in, if any.
func (p *Pages) throttled(w http.ResponseWriter, req *SignInRequest, retry time.Duration) error {
	return p.Site.Throttled(w, retry, p.loginURL(req))
}

// loginURL is the login page, of the sign-in req if there is one.
func (p *Pages) loginURL(req *SignInRequest) string {
	if req != nil {
		return p.Site.WithRequest(pathLogin, req.ID)
	}
	return p.Site.Path(pathLogin)
}
