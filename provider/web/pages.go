package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Store is what the pages read and write.
type Store interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	GetClient(ctx context.Context, id string) (storage.Client, error)
	GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error)
	PutConsent(ctx context.Context, c storage.Consent) error
	GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)

	// The logout's, for a session an id_token_hint names.
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	DeleteSession(ctx context.Context, id string) error

	// The organization pages'.
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
}

// Mailer queues a mail rendered from templates/mail (provider/mail.Outbox).
type Mailer interface {
	Send(ctx context.Context, to string, data mail.Data) error
	// SendPrepared queues a mail whose data the worker's Preparer of that
	// name makes at send time (mail.Outbox.SendPrepared).
	SendPrepared(ctx context.Context, to, preparer string) error
}

// Transactor runs work in one database transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Auditor records security events.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Throttle limits failed sign-ins; *throttle.Limiter is one.
type Throttle interface {
	Check(ctx context.Context, email, ip string) (retryAfter time.Duration, limited bool, err error)
	Failure(ctx context.Context, email, ip string) error
	Success(ctx context.Context, email string) error
	// Device cookies (OWASP): a browser that signed in to the account keeps
	// its own failure budget. Device returns "" for no valid cookie.
	IssueDevice(email string) (string, error)
	Device(email, cookie string) string
	CheckDevice(ctx context.Context, email, ip, device string) (retryAfter time.Duration, limited bool, err error)
	SuccessDevice(ctx context.Context, email, device string) error
}

// LogoutNotifier hears that a browser session ended, to tell the clients it
// signed in to (OpenID Back-Channel Logout). It must not block for long:
// deliver in the background.
type LogoutNotifier interface {
	SessionEnded(ctx context.Context, userID, sessionID string)
}

// IDTokenHints checks an id_token_hint: an ID token this provider issued,
// signature valid under any published key. An expired token is still a valid
// hint (OpenID RP-Initiated Logout 1.0, section 2). clientID is the client
// the token was issued to (its azp, or its single aud).
type IDTokenHints interface {
	VerifyIDTokenHint(ctx context.Context, raw string) (subject, sessionID, clientID string, err error)
}

// Pages serves the sign-in pages. Build it with New.
type Pages struct {
	Store    Store
	Sessions *browser.Sessions
	Throttle Throttle
	Audit    Auditor
	// Hints and Notifier may be nil: then an id_token_hint is never trusted
	// (logout always asks) and nobody is told of ended sessions.
	Hints    IDTokenHints
	Notifier LogoutNotifier
	// Mailer sends the confirmation link of an email change and
	// invitations; nil turns both off (the pages say so).
	Mailer Mailer
	// MFA and Challenges enable the second factor (both or neither); nil
	// means sign-in is by password alone and /account/mfa does not exist.
	MFA        SecondFactor
	Challenges MFAChallenges
	// Issuer is the provider's issuer URL; page links are made under its path.
	Issuer string
	Now    func() time.Time
	Logger *slog.Logger

	// Orgs and Accounts apply the rules for organizations and new accounts
	// (the organization pages and invitations); Transactor makes an
	// invitee's new account and membership one change.
	Orgs       *accounts.Organizations
	Accounts   *accounts.Service
	Lifecycle  *accounts.People
	Transactor Transactor
	// PasswordReset and Registration say which of web/selfservice's pages
	// are on: the login page links them, and with Registration an upstream
	// sign-in may make a new account (selfservice.Pages.RegistrationOpen).
	PasswordReset, Registration bool
	// LinkMail sends an upstream sign-in's mailed proof, capped per address
	// (a *selfservice.MailCap); nil offers no mailed proof.
	LinkMail LinkMailer
	// Federation is sign-in through upstream identity providers; nil turns
	// it off.
	Federation *Federation

	site *page.Site
}

// New checks p's dependencies, parses the templates and reads the static
// files. It returns a ready *Pages.
func New(p Pages) (*Pages, error) {
	var missing []string
	if p.Store == nil {
		missing = append(missing, "Store")
	}
	if p.Sessions == nil {
		missing = append(missing, "Sessions")
	}
	if p.Throttle == nil {
		missing = append(missing, "Throttle")
	}
	if p.Audit == nil {
		missing = append(missing, "Audit")
	}
	if p.Orgs == nil {
		missing = append(missing, "Orgs")
	}
	if p.Accounts == nil {
		missing = append(missing, "Accounts")
	}
	if p.Lifecycle == nil {
		missing = append(missing, "Lifecycle")
	}
	if p.Transactor == nil {
		missing = append(missing, "Transactor")
	}
	if p.MFA != nil && p.Challenges == nil {
		missing = append(missing, "Challenges (MFA is set)")
	}
	if p.MFA == nil && p.Challenges != nil {
		missing = append(missing, "MFA (Challenges is set)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("web: missing %s", strings.Join(missing, ", "))
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	site, err := page.New(page.Config{Issuer: p.Issuer, Sessions: p.Sessions, Users: p.Store, Audit: p.Audit,
		Now: p.Now, Logger: p.Logger})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	p.site = site
	return &p, nil
}

// Static serves the stylesheet and images at /static/ (page.Site.Static).
func (p *Pages) Static() http.Handler { return p.site.Static() }

func (p *Pages) resumeURL(requestID string) string {
	return p.site.WithRequest("/oauth2/authorize/resume", requestID)
}

// RenderError shows an error page and never redirects: for requests whose
// client or redirect URI cannot be trusted, and for the pages' own errors.
func (p *Pages) RenderError(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	p.site.RenderError(w, r, status, title, detail)
}
