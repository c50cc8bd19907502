package web

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/web/federation"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
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

	// The account page's.
	ListClients(ctx context.Context) ([]storage.Client, error)
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	DeleteSession(ctx context.Context, id string) error
	DeleteSessionsByUser(ctx context.Context, userID, exceptID string) ([]storage.Session, error)
	// DeleteOneTimeTokensByUser: a password change cancels pending reset links.
	DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error)
	ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error)
	DeleteConsent(ctx context.Context, userID, clientID string) error
	CreatePAT(ctx context.Context, p storage.PAT) error
	ListPATsByUser(ctx context.Context, userID string) ([]storage.PAT, error)
	DeletePAT(ctx context.Context, userID, id string) error
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)

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

// Pages serves the account, self-service, organization, federation and
// admin pages (signin.Pages serves sign-in). Build it with New.
type Pages struct {
	Store    Store
	Sessions *browser.Sessions
	Throttle signin.Throttle
	Audit    Auditor
	// Notifier may be nil: then nobody is told of ended sessions.
	Notifier signin.LogoutNotifier
	// Mailer sends the confirmation link of an email change and
	// invitations; nil turns both off (the pages say so).
	Mailer Mailer
	// MFA enables the second factor; nil means /account/mfa does not
	// exist (signin.Pages has the sign-in side).
	MFA SecondFactor
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
	// Tokens is the account page's personal access tokens.
	Tokens *pat.Service
	// People is the registration, email verification and password reset
	// side; nil turns those pages off (they answer 404).
	People *People
	// Federation is sign-in through upstream identity providers; nil turns
	// it off.
	Federation *federation.Pages

	// Site is the pages' shared base; Flows the parked authorization
	// requests (both also signin's). Signin signs the browser out from the
	// account page.
	Site   *page.Site
	Flows  *signin.Flows
	Signin *signin.Pages
	// Passwords checks the password that proves an account before an
	// upstream sign-in is linked to it.
	Passwords *signin.Passwords

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
	if p.Tokens == nil {
		missing = append(missing, "Tokens")
	}
	if p.Site == nil {
		missing = append(missing, "Site")
	}
	if p.Flows == nil {
		missing = append(missing, "Flows")
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
	p.site = p.Site
	if p.Passwords == nil {
		p.Passwords = &signin.Passwords{Site: p.Site, Store: p.Store}
	}
	return &p, nil
}

func (p *Pages) federationOn() bool { return p.Federation != nil }

// upstreamOrigins are where the account page's "link" buttons lead (their
// POST ends in a redirect to the upstream).
func (p *Pages) upstreamOrigins() []string {
	if !p.federationOn() {
		return nil
	}
	return p.Federation.AuthOrigins()
}

// SendLimited queues a mail within the address's hourly budget
// (federation.Mailer: the mailed proof of an account).
func (p *Pages) SendLimited(ctx context.Context, to string, data mail.Data) error {
	return p.mailLimited(ctx, to, data)
}
