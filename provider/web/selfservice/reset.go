package selfservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/storage"
)

type forgotPage struct {
	Title, Action, CSRF, LoginURL, Email, Error string
}

// forgotForm serves GET /forgot-password. The answer to a well-formed
// address (forgotPassword) is the same, byte for byte and in the work done,
// whether or not it has an account; only an account that exists and is not
// disabled gets a link (PrepareReset, at send time).
func (p *Pages) forgotForm(w http.ResponseWriter, r *http.Request) error {
	app, err := p.Requests.Application(r)
	if err != nil {
		return err
	}
	return p.renderForgot(w, r, app, http.StatusOK, forgotPage{})
}

func (p *Pages) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	app, err := p.Requests.Application(r)
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(r.PostFormValue("email"))
	if len(raw) > maxEmailLen {
		raw = raw[:maxEmailLen]
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return p.renderForgot(w, r, app, http.StatusForbidden, forgotPage{Email: raw, Error: "This form has expired. Please try again."})
	}
	email, err := accounts.NormalizeEmail(raw)
	if err != nil {
		return p.renderForgot(w, r, app, http.StatusUnprocessableEntity, forgotPage{Email: raw,
			Error: "Enter a valid email address, like name@example.com."})
	}
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	// Known or not, the request does the same work: one look-up, one count
	// of the address's mails, one sealed request in the outbox, one audit
	// event. Whether a link goes out is decided by the mail worker
	// (PrepareReset), which also issues the token then, so neither the time
	// of this answer nor the outbox tells which addresses have an account.
	u, err := p.Store.GetUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("selfservice: look up user: %w", err)
	}
	within, err := p.Mail.within(ctx, email)
	if err != nil {
		return err
	}
	result := "queued"
	if within {
		if err := p.Mail.Outbox.SendPrepared(ctx, email, PurposeResetPassword); err != nil {
			return fmt.Errorf("selfservice: queue reset mail: %w", err)
		}
	} else {
		result = "too_many_mails"
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "password.reset_requested", SubjectID: u.ID, IP: ip, Details: map[string]string{"result": result}})
	return p.notice(w, http.StatusOK, noticePage{Heading: "Check your email",
		Lines: []string{
			"If " + email + " belongs to an account, we sent it a link to choose a new password. The link expires in " +
				inWords(p.ResetPasswordLifetime) + ".",
			"If nothing arrives within a few minutes, look in your spam folder, or check that you typed the address of your account.",
		},
		Links: []noticeLink{{p.inFlow(pathLogin, app), "Back to sign in"}}})
}

func (p *Pages) renderForgot(w http.ResponseWriter, r *http.Request, app *Application, status int, data forgotPage) error {
	data.Title = "Forgot your password?"
	data.Action = p.inFlow(PathForgotPassword, app)
	data.LoginURL = p.inFlow(pathLogin, app)
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "forgot_password", data)
}

// resetForm serves GET /reset-password, the link of the reset mail: the
// form, using nothing up; its POST (resetPassword) sets the new password.
// Success ends every other session of the user and every token issued to
// them.
func (p *Pages) resetForm(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if token == "" {
		return incompleteLink()
	}
	return p.renderReset(w, r, http.StatusOK, tokenFormPage{Token: token})
}

func (p *Pages) resetPassword(w http.ResponseWriter, r *http.Request) error {
	token := r.PostFormValue("token")
	pw := r.PostFormValue("password")
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return p.renderReset(w, r, http.StatusForbidden, tokenFormPage{Token: token, Error: "This form has expired. Please try again."})
	}
	if pw != r.PostFormValue("confirm") {
		return p.renderReset(w, r, http.StatusUnprocessableEntity, tokenFormPage{Token: token,
			Error: "The two passwords are not the same. Type the new password twice."})
	}
	ctx := r.Context()
	t, u, ok, err := p.consumeToken(ctx, PurposeResetPassword, token)
	if err != nil {
		return err
	}
	if !ok {
		return p.notice(w, http.StatusBadRequest, noticePage{Heading: "This link has expired",
			Lines: []string{"The reset link has expired, was used already, or a newer one was sent since. Only the newest link works, once."},
			Links: []noticeLink{{p.Site.Path(PathForgotPassword), "Send a new link"}}})
	}
	if err := p.Policy.Check(pw, u.Email); err != nil {
		refusal, ok := fault.From(err)
		if !ok {
			return err
		}
		// The token was used up to learn whose password this is; the form
		// comes back with a fresh one that expires when the old one would.
		fresh, err := p.issueToken(ctx, PurposeResetPassword, u, t.ExpiresAt)
		if err != nil {
			return err
		}
		return p.renderReset(w, r, http.StatusUnprocessableEntity, tokenFormPage{Token: fresh, Error: refusal.Message})
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return fmt.Errorf("selfservice: hash password: %w", err)
	}
	err = p.Store.UpdateUser(ctx, u.ID, func(cur storage.User) (storage.User, error) {
		cur.PasswordHash = hash
		// The link reached the mailbox: the address is proven.
		if strings.EqualFold(cur.Email, t.Email) {
			cur.EmailVerified = true
		}
		cur.UpdatedAt = p.Site.Now().UTC()
		return cur, nil
	})
	if err != nil {
		return fmt.Errorf("selfservice: set password: %w", err)
	}
	// This browser stays signed in if it is the same user's.
	keep := ""
	if sess, _, signedIn, err := p.Site.CurrentUser(r); err == nil && signedIn && sess.UserID == u.ID {
		keep = sess.ID
	}
	sessions, tokens, err := accounts.EndOtherSessions(ctx, p.Store, p.Notifier, u.ID, keep)
	if err != nil {
		return err
	}
	if err := p.Throttle.Success(ctx, u.Email); err != nil {
		p.Site.Logger().WarnContext(ctx, "reset login throttle", "err", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "password.reset", ActorID: u.ID, SubjectID: u.ID, IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"sessions_ended": fmt.Sprint(sessions), "tokens_deactivated": fmt.Sprint(tokens)}})
	return p.notice(w, http.StatusOK, noticePage{Heading: "Your password has been changed",
		Lines: []string{"You are signed out on every other device, and applications will ask you to sign in again."},
		Links: []noticeLink{{p.Site.Path(pathLogin), "Sign in"}}})
}

func (p *Pages) renderReset(w http.ResponseWriter, r *http.Request, status int, data tokenFormPage) error {
	data.Title = "Choose a new password"
	data.Action = p.Site.Path(PathResetPassword)
	data.MinLength = p.Policy.Length()
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "reset_password", data)
}

// PrepareReset is the mail worker's Preparer for reset requests: at send
// time it issues the link's token for the account of to and returns the
// mail, or nothing for an address without an account or a disabled one.
func (p *Pages) PrepareReset(ctx context.Context, to string) (mail.Data, bool, error) {
	u, err := p.Store.GetUserByEmail(ctx, to)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("selfservice: look up user: %w", err)
	}
	if u.Disabled {
		return nil, false, nil
	}
	lifetime := p.ResetPasswordLifetime
	secret, err := p.issueToken(ctx, PurposeResetPassword, u, p.Site.Now().Add(lifetime))
	if err != nil {
		return nil, false, err
	}
	return mail.ResetPassword{Name: u.Name, Link: p.Site.Link(PathResetPassword, url.Values{"token": {secret}}),
		Expires: inWords(lifetime)}, true, nil
}
