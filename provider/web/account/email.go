package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Email change: the new address gets a link (mail.EmailChangeConfirm); the change happens only when that link is confirmed, and
// the old address is then told (mail.EmailChanged).
const (
	purposeEmailChange = "change_email"
	emailChangeTTL     = 24 * time.Hour
	// emailChangeTTLText is emailChangeTTL as the mail says it.
	emailChangeTTLText = "24 hours"
)

// emailChangeData is the one-time token's Data: the address the change
// starts from, so a link gone stale by another change does nothing.
type emailChangeData struct {
	Old string `json:"old"`
}

// saveProfile changes the user's display name.
func (a accountAction) saveProfile() error {
	ctx := a.r.Context()
	name := strings.TrimSpace(a.r.PostFormValue("name"))
	if utf8.RuneCountInString(name) > maxNameLen || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return a.again(accountPage{ProfileError: fmt.Sprintf("Your name must be at most %d characters, on one line.", maxNameLen)})
	}
	now := a.p.Site.Now()
	err := a.p.Store.UpdateUser(ctx, a.user.ID, func(u storage.User) (storage.User, error) {
		u.Name, u.UpdatedAt = name, now
		return u, nil
	})
	if err != nil {
		return fmt.Errorf("account: update name: %w", err)
	}
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "profile.updated", ActorID: a.user.ID, SubjectID: a.user.ID, IP: a.p.Site.Sessions().RemoteIP(a.r)})
	return a.done("profile")
}

// emailChangeOff is the email form's answer without a mailer.
func (a accountAction) emailChangeOff() error {
	return a.again(accountPage{NewEmail: strings.TrimSpace(a.r.PostFormValue("new_email")),
		EmailError: "Changing your email address is not available on this server."})
}

// requestEmailChange sends a confirmation link to the new address. Whether
// that address belongs to another account is not said here (no
// enumeration); the link will say so to whoever owns the address.
func (a accountAction) requestEmailChange() error {
	ctx := a.r.Context()
	form := accountPage{NewEmail: strings.TrimSpace(a.r.PostFormValue("new_email"))}
	if msg, err := a.checkCurrentPassword(a.r.PostFormValue("current_password")); err != nil || msg != "" {
		if err != nil {
			return err
		}
		form.EmailError = msg
		return a.again(form)
	}
	email, err := accounts.NormalizeEmail(form.NewEmail)
	if err != nil {
		form.EmailError = "Enter a valid email address."
		return a.again(form)
	}
	if strings.EqualFold(email, a.user.Email) {
		form.EmailError = "That is your email address already."
		return a.again(form)
	}
	now := a.p.Site.Now()
	secret := randtoken.New()
	data, _ := json.Marshal(emailChangeData{Old: a.user.Email})
	err = a.p.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(secret), Purpose: purposeEmailChange,
		UserID: a.user.ID, Email: email, Data: data, CreatedAt: now, ExpiresAt: now.Add(emailChangeTTL)})
	if err != nil {
		return fmt.Errorf("account: store email change: %w", err)
	}
	link := a.p.Site.Link(PathEmailConfirm, url.Values{"token": {secret}})
	if err := a.p.Mailer.Send(ctx, email, mail.EmailChangeConfirm{Name: a.user.Name, OldEmail: a.user.Email, NewEmail: email,
		Link: link, Expires: emailChangeTTLText}); err != nil {
		return fmt.Errorf("account: send email change link: %w", err)
	}
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "email.change_requested", ActorID: a.user.ID, SubjectID: a.user.ID,
		IP: a.p.Site.Sessions().RemoteIP(a.r)})
	return a.done("email_sent")
}

type emailConfirmPage struct {
	Title, Action, CSRF, Token string
	// Done: the change happened; Email is the new address.
	Done              bool
	Email, AccountURL string
}

var errStaleEmailChange = errors.New("account: email changed since the link was sent")

// confirmEmailForm serves the link of the mail. GET only shows a button, so
// a mail scanner fetching the link changes nothing; the POST (confirmEmail)
// makes the change. The token proves the address, whoever is signed in on
// this browser.
func (p *Pages) confirmEmailForm(w http.ResponseWriter, r *http.Request) error {
	view := p.emailConfirmView()
	view.Token = r.URL.Query().Get("token")
	if view.Token == "" {
		return linkGone(nil)
	}
	view.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, http.StatusOK, "email_confirm", view)
}

func (p *Pages) emailConfirmView() emailConfirmPage {
	return emailConfirmPage{Title: "Confirm your new email address", Action: p.Site.Path(PathEmailConfirm),
		AccountURL: p.Site.Path(PathAccount)}
}

// confirmEmail makes the change the mail's link asks for.
func (p *Pages) confirmEmail(w http.ResponseWriter, r *http.Request) error {
	view := p.emailConfirmView()
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	ctx := r.Context()
	now := p.Site.Now()
	t, err := p.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(r.PostFormValue("token")), purposeEmailChange, now)
	if errors.Is(err, storage.ErrNotFound) {
		return linkGone(err)
	}
	if err != nil {
		return fmt.Errorf("account: consume email change: %w", err)
	}
	var data emailChangeData
	_ = json.Unmarshal(t.Data, &data)
	err = p.Store.UpdateUser(ctx, t.UserID, func(u storage.User) (storage.User, error) {
		if !strings.EqualFold(u.Email, data.Old) {
			return u, errStaleEmailChange
		}
		u.Email, u.EmailVerified, u.UpdatedAt = t.Email, true, now
		return u, nil
	})
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return &page.Error{Status: http.StatusConflict, Title: "This address is taken",
			Detail: "Another account uses this email address. Sign in to that account, or choose another address.", Err: err}
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, errStaleEmailChange):
		return linkGone(err)
	case err != nil:
		return fmt.Errorf("account: change email: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "email.changed", ActorID: t.UserID, SubjectID: t.UserID, IP: p.Site.Sessions().RemoteIP(r)})
	if data.Old != "" {
		// The old owner learns of it, in case it was not them.
		if err := p.Mailer.Send(ctx, data.Old, mail.EmailChanged{OldEmail: data.Old, NewEmail: t.Email,
			AccountURL: p.Site.Link(PathAccount, nil)}); err != nil {
			p.Site.Logger().ErrorContext(ctx, "queue email change notice", "user_id", t.UserID, "err", err)
		}
	}
	view.Done, view.Email, view.Title = true, t.Email, "Email address changed"
	return p.Site.Render(w, http.StatusOK, "email_confirm", view)
}

func linkGone(err error) error {
	return &page.Error{Status: http.StatusBadRequest, Title: "This link no longer works",
		Detail: "It was used already, has expired, or a newer change replaced it. Request the change again from your account page.", Err: err}
}
