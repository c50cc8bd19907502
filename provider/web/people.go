package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// PeopleStore is what registration, verification and reset need of the
// storage besides Store.
type PeopleStore interface {
	CreateUser(ctx context.Context, u storage.User) error
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
	accounts.RevokeStore
	// Hit counts mails per recipient, so the forms cannot be used to flood
	// someone's mailbox (storage.ThrottleStore).
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error)
}

// MailLister lists the mails the development sender kept in memory
// (*mail.Log), for the development page.
type MailLister interface {
	Recent(limit int) []mail.Message
}

// One-time token purposes.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeResetPassword = accounts.PurposeResetPassword
)

// Defaults for People's zero values.
const (
	DefaultVerifyEmailLifetime   = 24 * time.Hour
	DefaultResetPasswordLifetime = time.Hour
	// DefaultMailsPerHour caps the mails the forms send to one address.
	DefaultMailsPerHour = 5
)

// People configures registration, email verification and password reset.
type People struct {
	Store  PeopleStore
	Mailer Mailer
	// Registration turns /register on; InviteOnly keeps the page but says
	// that accounts are made by invitation only.
	Registration bool
	InviteOnly   bool
	Policy       accounts.Policy
	// Lifetimes of the emailed links.
	VerifyEmailLifetime   time.Duration
	ResetPasswordLifetime time.Duration
	// MailsPerHour caps the mails sent to one address by these pages.
	MailsPerHour int
	// DevMail, when set, serves /dev/mail: the mails the development
	// sender delivered (in memory), so a person in development can click
	// the links. Only for a server without SMTP.
	DevMail MailLister
}

func (pp *People) verifyLifetime() time.Duration {
	if pp.VerifyEmailLifetime > 0 {
		return pp.VerifyEmailLifetime
	}
	return DefaultVerifyEmailLifetime
}

func (pp *People) resetLifetime() time.Duration {
	if pp.ResetPasswordLifetime > 0 {
		return pp.ResetPasswordLifetime
	}
	return DefaultResetPasswordLifetime
}

// LoginLinks are the login page's links to reset and registration
// (signin.SelfService).
func (pp *People) LoginLinks() (forgotPassword, register string) {
	if pp.Registration && !pp.InviteOnly {
		register = "/register"
	}
	return "/forgot-password", register
}

// issueToken stores a new one-time token for u (replacing any older one of
// the same purpose) and returns the secret for the link.
func (p *Pages) issueToken(ctx context.Context, purpose string, u storage.User, expires time.Time) (string, error) {
	secret := randtoken.New()
	err := p.People.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(secret), Purpose: purpose,
		UserID: u.ID, Email: strings.ToLower(u.Email), CreatedAt: p.Now().UTC(), ExpiresAt: expires.UTC()})
	if err != nil {
		return "", fmt.Errorf("web: create %s token: %w", purpose, err)
	}
	return secret, nil
}

// consumeToken takes the token out of the store and returns it with its
// person. ok is false for a missing, expired, used or superseded token, or
// one whose person is gone, disabled or has another address by now.
func (p *Pages) consumeToken(ctx context.Context, purpose, secret string) (storage.OneTimeToken, storage.User, bool, error) {
	if secret == "" || len(secret) > 100 {
		return storage.OneTimeToken{}, storage.User{}, false, nil
	}
	t, err := p.People.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(secret), purpose, p.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return t, storage.User{}, false, nil
	}
	if err != nil {
		return t, storage.User{}, false, fmt.Errorf("web: consume %s token: %w", purpose, err)
	}
	u, err := p.Store.GetUser(ctx, t.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return t, u, false, nil
	}
	if err != nil {
		return t, u, false, fmt.Errorf("web: read user: %w", err)
	}
	if u.Disabled || !strings.EqualFold(u.Email, t.Email) {
		return t, u, false, nil
	}
	return t, u, true, nil
}

// mailLimited queues a mail unless the address has had its share this hour;
// then it only logs. Either way the page the person sees is the same.
func (p *Pages) mailLimited(ctx context.Context, to string, data mail.Data) error {
	ok, err := p.mailBudget(ctx, to)
	if err != nil {
		return err
	}
	if !ok {
		p.Logger.WarnContext(ctx, "mail not queued: too many to this address this hour", "mail", fmt.Sprintf("%T", data))
		return nil
	}
	if err := p.People.Mailer.Send(ctx, to, data); err != nil {
		return fmt.Errorf("web: queue mail: %w", err)
	}
	return nil
}

// mailBudget counts one mail to the address and reports whether it is
// within this hour's share. The forms call it for unknown addresses too, so
// both answers cost the same database write.
func (p *Pages) mailBudget(ctx context.Context, to string) (bool, error) {
	limit := p.People.MailsPerHour
	if limit <= 0 {
		limit = DefaultMailsPerHour
	}
	n, _, err := p.People.Store.Hit(ctx, "mail-to:"+strings.ToLower(to), time.Hour, p.Now())
	if err != nil {
		return false, fmt.Errorf("web: count mails: %w", err)
	}
	return n <= limit, nil
}

// SendVerification mails u a new email verification link (the account page
// uses it to send another one).
func (p *Pages) SendVerification(ctx context.Context, u storage.User) error {
	if p.People == nil {
		return errors.New("web: email verification is not configured")
	}
	lifetime := p.People.verifyLifetime()
	secret, err := p.issueToken(ctx, PurposeVerifyEmail, u, p.Now().Add(lifetime))
	if err != nil {
		return err
	}
	return p.mailLimited(ctx, u.Email, mail.VerifyEmail{Name: u.Name,
		Link: p.site.Link("/verify-email", url.Values{"token": {secret}}), Expires: inWords(lifetime)})
}

type noticePage struct {
	Title, Heading string
	Lines          []string
	Alert          string
	Links          []noticeLink
}

type noticeLink struct{ URL, Text string }

func (p *Pages) notice(w http.ResponseWriter, status int, n noticePage) error {
	if n.Title == "" {
		n.Title = n.Heading
	}
	return p.site.Render(w, status, "notice", n)
}

// peopleOff is the answer of these pages when they are not configured.
func peopleOff() error {
	return page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
}

func methodNotAllowed(w http.ResponseWriter) error {
	w.Header().Set("Allow", "GET, HEAD, POST")
	return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
}

// inWords says a link lifetime the way a mail would.
func inWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int((d+time.Hour/2)/time.Hour))
	case d >= time.Hour:
		return "1 hour"
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int((d+time.Minute/2)/time.Minute))
	default:
		return "1 minute"
	}
}
