package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Paths this package serves, under the issuer's path. oauth.PathLogin,
// PathOrganization and PathConsent name the same pages for the
// authorization endpoint, and discovery.PathLogout the same end-session
// endpoint (a provider test checks they agree).
const (
	PathLogin        = "/login"
	PathOrganization = "/organization"
	PathConsent      = "/consent"
	// PathEndSession is OpenID RP-Initiated Logout's end_session_endpoint.
	PathEndSession = "/oauth2/logout"
	// PathLogout is the same sign-out for a user, from our own pages.
	PathLogout = "/logout"
)

// Store is what the sign-in pages read and write.
type Store interface {
	FlowStore
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error)
	PutConsent(ctx context.Context, c storage.Consent) error
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
	DeleteSession(ctx context.Context, id string) error
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)
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

// Upstream is what sign-in shows and asks of sign-in through upstream
// identity providers (web/federation implements it; NoUpstream is "off").
type Upstream interface {
	// Buttons are the login page's "Sign in with …" forms for the flow.
	Buttons(f *Flow) []Button
	// AuthOrigins are the upstreams' origins, for form-action: a button's
	// POST ends in a redirect there.
	AuthOrigins() []string
	// SSO reports whether the login page offers "Continue with single
	// sign-on" (home-realm discovery).
	SSO() bool
	// HomeRealm answers "Continue with single sign-on" for email: it sends
	// the browser to the organization's provider, or returns the login
	// form's message for why it cannot.
	HomeRealm(w http.ResponseWriter, r *http.Request, f *Flow, email string) (refusal string, err error)
	// PasswordRefused is the login form's message when the address's
	// organization forbids passwords; "" when they are allowed.
	PasswordRefused(ctx context.Context, email string) (string, error)
	// Logout is the upstream's end-session URL when the ended session came
	// through a provider with upstream logout; final is where to go after.
	Logout(r *http.Request, sess storage.Session, final string) (target string, ok bool, err error)
}

// Button is one "Sign in with …" form.
type Button struct {
	ID, Name, Icon, Action, Initial string
}

// NoUpstream is Upstream when federation is off: no buttons, no single
// sign-on, passwords always allowed.
type NoUpstream struct{}

func (NoUpstream) Buttons(*Flow) []Button { return nil }
func (NoUpstream) AuthOrigins() []string  { return nil }
func (NoUpstream) SSO() bool              { return false }
func (NoUpstream) HomeRealm(http.ResponseWriter, *http.Request, *Flow, string) (string, error) {
	return "Single sign-on is not available here. Sign in with your password.", nil
}
func (NoUpstream) PasswordRefused(context.Context, string) (string, error) { return "", nil }
func (NoUpstream) Logout(*http.Request, storage.Session, string) (string, bool, error) {
	return "", false, nil
}

// SelfService names the self-service pages the login page links to
// (web/selfservice serves them): local paths, "" for a page that is off.
type SelfService interface {
	LoginLinks() (forgotPassword, register string)
}

type noSelfService struct{}

func (noSelfService) LoginLinks() (string, string) { return "", "" }

type noHints struct{}

func (noHints) VerifyIDTokenHint(context.Context, string) (string, string, string, error) {
	return "", "", "", errors.New("signin: id_token_hint is never trusted here")
}

type noNotifier struct{}

func (noNotifier) SessionEnded(context.Context, string, string) {}

// Pages serves the sign-in: login, the second factor, the organization
// picker, consent and logout. Build it with New.
type Pages struct {
	Site     *page.Site
	Flows    *Flows
	Store    Store
	Throttle Throttle
	// MFA and Challenges are the second step after the password (both or
	// neither); without them sign-in is by password alone and /login/mfa
	// is not mounted.
	MFA        SecondFactor
	Challenges MFAChallenges
	// Hints and Notifier may be nil: then an id_token_hint is never
	// trusted (logout always asks) and nobody is told of ended sessions.
	Hints    IDTokenHints
	Notifier LogoutNotifier
	// Upstream is federation's part of the login page; nil is NoUpstream.
	Upstream Upstream
	// SelfService is the login page's links to reset and registration;
	// nil links to neither.
	SelfService SelfService
	// Passkeys are passwordless sign-in and the passkey as a second
	// factor; nil (or a service with passkeys off) offers neither.
	Passkeys Passkeys

	secondStep bool
	passwords  *Passwords
}

// New checks p's dependencies and fills in the "off" side of the optional
// ones.
func New(p Pages) (*Pages, error) {
	var missing []string
	if p.Site == nil {
		missing = append(missing, "Site")
	}
	if p.Flows == nil {
		missing = append(missing, "Flows")
	}
	if p.Store == nil {
		missing = append(missing, "Store")
	}
	if p.Throttle == nil {
		missing = append(missing, "Throttle")
	}
	if (p.MFA == nil) != (p.Challenges == nil) {
		missing = append(missing, "MFA and Challenges (both or neither)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("signin: missing %s", strings.Join(missing, ", "))
	}
	p.passwords = &Passwords{Site: p.Site, Store: p.Store}
	p.secondStep = p.MFA != nil
	if !p.secondStep {
		p.MFA = passwordOnly{}
	}
	if p.Hints == nil {
		p.Hints = noHints{}
	}
	if p.Notifier == nil {
		p.Notifier = noNotifier{}
	}
	if p.Upstream == nil {
		p.Upstream = NoUpstream{}
	}
	if p.SelfService == nil {
		p.SelfService = noSelfService{}
	}
	return &p, nil
}

// Routes are the sign-in pages, to mount with page.Site.Mount.
func (p *Pages) Routes() []page.Route {
	routes := []page.Route{
		page.Get(PathLogin, p.login), page.Post(PathLogin, p.login),
		page.Get(PathOrganization, p.organization), page.Post(PathOrganization, p.organization),
		page.Get(PathConsent, p.consent), page.Post(PathConsent, p.consent),
		page.Get(PathEndSession, p.logout), page.Post(PathEndSession, p.logout),
		page.Get(PathLogout, p.logout), page.Post(PathLogout, p.logout),
	}
	if p.secondStep {
		routes = append(routes, page.Get(PathSecondFactor, p.secondFactor), page.Post(PathSecondFactor, p.secondFactor))
	}
	if p.passkeyOn() {
		routes = append(routes, page.Post(PathPasskeyBegin, p.Site.JSON(p.passkeyBegin)),
			page.Post(PathPasskeyFinish, p.Site.JSON(p.passkeyFinish)))
		if p.secondStep {
			routes = append(routes, page.Post(PathPasskeyFactorBegin, p.Site.JSON(p.passkeyFactorBegin)),
				page.Post(PathPasskeyFactorFinish, p.Site.JSON(p.passkeyFactorFinish)))
		}
	}
	return routes
}
