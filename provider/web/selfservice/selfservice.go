// Package selfservice serves the pages users use to get and recover an
// account without an administrator: registration (/register), email
// verification (/verify-email), password reset by a mailed link
// (/forgot-password, /reset-password), accepting an organization's
// invitation (/invitations/accept) and, in development only, the mails the
// server would have sent (/dev/mail). Every mailed link is a one-time token;
// its GET only shows a button, so a mail scanner uses nothing up.
//
// The login page (web/signin) links to registration and reset when they are
// on: RegistrationOpen says whether to link registration; the paths are
// PathRegister and PathForgotPassword.
package selfservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Paths this package serves, under the issuer's path.
const (
	PathRegister         = "/register"
	PathVerifyEmail      = "/verify-email"
	PathForgotPassword   = "/forgot-password"
	PathResetPassword    = "/reset-password"
	PathAcceptInvitation = "/invitations/accept"
	PathDevMail          = "/dev/mail"
)

// Pages other areas serve that these link to.
const (
	pathLogin  = "/login"         // web/signin
	pathLogout = "/logout"        // web/signin
	pathHome   = "/"              // web/account
	pathOrgs   = "/organizations" // web/orgs, plus "/" and the id
)

// Longest inputs looked at; the sign-in pages bound the same fields alike.
const (
	maxEmailLen = 320
	maxNameLen  = 200
)

// One-time token purposes.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeResetPassword = accounts.PurposeResetPassword
)

// Defaults for Pages' zero values.
const (
	DefaultVerifyEmailLifetime   = 24 * time.Hour
	DefaultResetPasswordLifetime = time.Hour
)

// Store is what registration, verification and reset read and write.
type Store interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	CreateUser(ctx context.Context, u storage.User) error
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
	// A reset ends the user's other sessions (accounts.EndOtherSessions).
	accounts.RevokeStore
}

// MailLister lists the mails the development sender kept in memory
// (*mail.Log), for the development page.
type MailLister interface {
	Recent(limit int) []mail.Message
}

// Throttle is the sign-in's count of wrong passwords; a reset forgets it.
type Throttle interface {
	Success(ctx context.Context, email string) error
}

// Invitations are organizations' invitations (*accounts.Organizations).
type Invitations interface {
	Invitation(ctx context.Context, orgID, secret string) (accounts.Invitation, error)
	Accept(ctx context.Context, actor accounts.Actor, orgID, secret string) (accounts.Invitation, error)
}

// UserCreator makes a new account by the rules for new accounts
// (*accounts.Users).
type UserCreator interface {
	CreateUser(ctx context.Context, nu accounts.NewUser) (storage.User, error)
}

// Transactor runs work in one database transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Application is the application whose sign-in led to these pages from the
// login page (?request=ID): the pages keep the request, so that they lead
// back to that sign-in and not to one that has forgotten the application.
type Application struct {
	RequestID, Name string
}

// Requests reads sign-ins in progress; web/signin implements it.
type Requests interface {
	// Application reads the request the URL's request parameter names:
	// nil without one, an error (a page to show) for one unknown or gone.
	Application(r *http.Request) (*Application, error)
}

func (a *Application) name() string {
	if a == nil {
		return ""
	}
	return a.Name
}

// Pages serves registration, email verification, password reset and
// invitations. Build it with New.
type Pages struct {
	Site  *page.Site
	Store Store
	// Mail queues the pages' mails, capped per address.
	Mail     *MailCap
	Throttle Throttle
	// Notifier hears of the sessions a reset ends (OpenID Back-Channel
	// Logout).
	Notifier accounts.LogoutNotifier
	Requests Requests
	// Invitations, Users and Transactor accept an invitation, making the
	// invitee's account and membership one change when they have none.
	Invitations Invitations
	Users       UserCreator
	Transactor  Transactor
	// Registration turns /register on; InviteOnly keeps the page but says
	// that accounts are made by invitation only.
	Registration bool
	InviteOnly   bool
	Policy       accounts.Policy
	// Lifetimes of the emailed links (provider.DefaultConfig has the
	// binary's); New refuses zero.
	VerifyEmailLifetime   time.Duration
	ResetPasswordLifetime time.Duration
	// DevMail, when set, serves /dev/mail: the mails the development
	// sender delivered (in memory), so a user in development can click
	// the links. Only for a server without SMTP.
	DevMail MailLister
}

// New checks p's dependencies.
func New(p Pages) (*Pages, error) {
	var missing []string
	for name, ok := range map[string]bool{"Site": p.Site != nil, "Store": p.Store != nil, "Mail": p.Mail != nil,
		"Throttle": p.Throttle != nil, "Notifier": p.Notifier != nil, "Requests": p.Requests != nil,
		"Invitations": p.Invitations != nil, "Users": p.Users != nil, "Transactor": p.Transactor != nil} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if p.Mail != nil && (p.Mail.Store == nil || p.Mail.Outbox == nil || p.Mail.Now == nil || p.Mail.Logger == nil) {
		missing = append(missing, "Mail.Store, Outbox, Now and Logger")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("selfservice: missing %s", strings.Join(missing, ", "))
	}
	// The binary's values come from provider.DefaultConfig; a zero here is
	// a wiring mistake, not a request for a default.
	if p.VerifyEmailLifetime <= 0 || p.ResetPasswordLifetime <= 0 || p.Mail.PerHour <= 0 {
		return nil, fmt.Errorf("selfservice: VerifyEmailLifetime %v, ResetPasswordLifetime %v, Mail.PerHour %d: each must be positive",
			p.VerifyEmailLifetime, p.ResetPasswordLifetime, p.Mail.PerHour)
	}
	return &p, nil
}

// RegistrationOpen reports whether anyone may create an account at
// /register: what the login page links, and what lets an upstream sign-in
// make a new account.
func (p *Pages) RegistrationOpen() bool { return p.Registration && !p.InviteOnly }

// LoginLinks are the login page's links here (signin.SelfService): the
// password reset always, registration when it is open.
func (p *Pages) LoginLinks() (forgotPassword, register string) {
	if p.RegistrationOpen() {
		register = PathRegister
	}
	return PathForgotPassword, register
}

// Routes are the self-service pages. Registration that is closed or by
// invitation only keeps its page, which says so; /dev/mail exists only
// with DevMail.
func (p *Pages) Routes() []page.Route {
	register, registerPost := p.registerForm, p.registerPost
	switch {
	case !p.Registration:
		register, registerPost = p.registrationClosed, p.registrationClosed
	case p.InviteOnly:
		register, registerPost = p.registrationByInvitation, p.registrationByInvitation
	}
	routes := []page.Route{
		page.Get(PathRegister, register),
		page.Post(PathRegister, registerPost),
		page.Get(PathVerifyEmail, p.verifyForm),
		page.Post(PathVerifyEmail, p.verifyEmail),
		page.Get(PathForgotPassword, p.forgotForm),
		page.Post(PathForgotPassword, p.forgotPassword),
		page.Get(PathResetPassword, p.resetForm),
		page.Post(PathResetPassword, p.resetPassword),
		page.Get(PathAcceptInvitation, p.acceptInvitation),
		page.Post(PathAcceptInvitation, p.acceptInvitation),
	}
	if p.DevMail != nil {
		routes = append(routes, page.Get(PathDevMail, p.devMail))
	}
	return routes
}

// inFlow is a local path that carries the application's sign-in request
// (nil: none), so that registration and password reset, reached from the
// login page of an authorization, lead back to that authorization and not
// to a sign-in that has forgotten the application.
func (p *Pages) inFlow(local string, app *Application) string {
	if app == nil {
		return p.Site.Path(local)
	}
	return p.Site.WithRequest(local, app.RequestID)
}

// issueToken stores a new one-time token for u (replacing any older one of
// the same purpose) and returns the secret for the link.
func (p *Pages) issueToken(ctx context.Context, purpose string, u storage.User, expires time.Time) (string, error) {
	secret := randtoken.New()
	err := p.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(secret), Purpose: purpose,
		UserID: u.ID, Email: strings.ToLower(u.Email), CreatedAt: p.Site.Now().UTC(), ExpiresAt: expires.UTC()})
	if err != nil {
		return "", fmt.Errorf("selfservice: create %s token: %w", purpose, err)
	}
	return secret, nil
}

// consumeToken takes the token out of the store and returns it with its
// user. ok is false for a missing, expired, used or superseded token, or
// one whose user is gone, disabled or has another address by now.
func (p *Pages) consumeToken(ctx context.Context, purpose, secret string) (storage.OneTimeToken, storage.User, bool, error) {
	if secret == "" || len(secret) > 100 {
		return storage.OneTimeToken{}, storage.User{}, false, nil
	}
	t, err := p.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(secret), purpose, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return t, storage.User{}, false, nil
	}
	if err != nil {
		return t, storage.User{}, false, fmt.Errorf("selfservice: consume %s token: %w", purpose, err)
	}
	u, err := p.Store.GetUser(ctx, t.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return t, u, false, nil
	}
	if err != nil {
		return t, u, false, fmt.Errorf("selfservice: read user: %w", err)
	}
	if u.Disabled || !strings.EqualFold(u.Email, t.Email) {
		return t, u, false, nil
	}
	return t, u, true, nil
}

// sendVerification mails u a new email verification link.
func (p *Pages) sendVerification(ctx context.Context, u storage.User) error {
	lifetime := p.VerifyEmailLifetime
	secret, err := p.issueToken(ctx, PurposeVerifyEmail, u, p.Site.Now().Add(lifetime))
	if err != nil {
		return err
	}
	return p.Mail.Send(ctx, u.Email, mail.VerifyEmail{Name: u.Name,
		Link: p.Site.Link(PathVerifyEmail, url.Values{"token": {secret}}), Expires: inWords(lifetime)})
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
	return p.Site.Render(w, status, "notice", n)
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
