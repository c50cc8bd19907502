// Package account serves the pages of a signed-in user: the home page, the
// account page with its forms (profile, email address, password, sessions,
// authorized applications, personal access tokens, linked sign-in
// providers), the second factor's setup (/account/mfa) and deleting the
// account. Each form posts to its own route (Routes); every one answers a
// signed-out browser by sending it to sign in and back to /account.
//
// The optional parts are mounted or not, decided once in New: without a
// Mailer the email address cannot be changed (the form says so), without
// MFA there is no /account/mfa, and without Identities no list of
// sign-in providers and no unlink form.
package account

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
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Paths this package serves, under the issuer's path.
const (
	PathHome           = "/"
	PathAccount        = "/account"
	PathProfile        = "/account/profile"
	PathEmail          = "/account/email"
	PathEmailConfirm   = "/account/email/confirm"
	PathPassword       = "/account/password"
	PathEndSession     = "/account/sessions/end"
	PathEndAllSessions = "/account/sessions/end-all"
	PathRevokeApp      = "/account/apps/revoke"
	PathTokens         = "/account/tokens"
	PathRevokeToken    = "/account/tokens/revoke"
	PathUnlink         = "/account/identities/unlink"
	PathMFA            = "/account/mfa"
	PathDelete         = "/account/delete"
)

// Pages other areas serve that these link to (their packages import this
// one, or would make a cycle).
const (
	pathLogin  = "/login"                   // web/signin
	pathLogout = "/logout"                  // web/signin
	pathResume = "/oauth2/authorize/resume" // oauth.PathResume
	pathOrgs   = "/organizations"           // web/orgs
	pathAdmin  = "/admin"                   // web/admin
	// pathUpstreamStart is web/federation's "Sign in with …" form, plus
	// the connector's id.
	pathUpstreamStart = "/login/upstream/"
)

// Longest inputs looked at; the sign-in pages bound the same fields alike.
const (
	maxPasswordLen = 1024
	maxNameLen     = 200
)

// Store is what the account pages read and write.
type Store interface {
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	GetClient(ctx context.Context, id string) (storage.Client, error)
	ListClients(ctx context.Context) ([]storage.Client, error)
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
	DeleteSession(ctx context.Context, id string) error
	ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error)
	DeleteConsent(ctx context.Context, userID, clientID string) error
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
	// A password change ends the other sessions and cancels pending reset
	// links (accounts.EndOtherSessions).
	accounts.RevokeStore
}

// Throttle limits password (and second-factor code) guesses; a
// *throttle.Limiter is one.
type Throttle interface {
	Check(ctx context.Context, key, ip string) (retryAfter time.Duration, limited bool, err error)
	Failure(ctx context.Context, key, ip string) error
	Success(ctx context.Context, key string) error
}

// Mailer queues a mail rendered from templates/mail (provider/mail.Outbox).
type Mailer interface {
	Send(ctx context.Context, to string, data mail.Data) error
}

// Deleter deletes a user with everything of theirs (*accounts.Users).
type Deleter interface {
	Delete(ctx context.Context, actor accounts.Actor, userID string) error
}

// Pages serves the signed-in user's pages. Build it with New.
type Pages struct {
	Site  *page.Site
	Store Store
	// Throttle counts wrong passwords given to confirm a change, as the
	// sign-in does.
	Throttle Throttle
	// Notifier hears of every session these pages end (OpenID Back-Channel
	// Logout).
	Notifier accounts.LogoutNotifier
	// Policy is what a new password must satisfy.
	Policy accounts.Policy
	// Users deletes the account of a user who asks.
	Users Deleter
	// Tokens is the personal access token rules (pat.Service).
	Tokens *pat.Service
	// Requests reads the application's sign-in an organization's
	// second-factor requirement sent the user here from (web/signin).
	Requests Requests
	// Mailer sends the confirmation link of an email change; nil turns the
	// change off (the page says so).
	Mailer Mailer
	// MFA is the second factor; nil means there is no /account/mfa.
	MFA SecondFactor
	// Identities are the upstream sign-ins users link; nil turns the
	// section off.
	Identities *Identities
	// Passkeys are the person's passkeys (/account/passkeys) and the
	// passkey step-up; nil turns them off.
	Passkeys Passkeys
	// Attributes are the person's editable attributes; nil, or no
	// editable key, turns the section off.
	Attributes OwnAttributes

	linked      linkedIdentities
	emailChange bool
	paths       accountPaths
}

// New checks p's dependencies and decides which optional parts are on.
func New(p Pages) (*Pages, error) {
	var missing []string
	for name, ok := range map[string]bool{"Site": p.Site != nil, "Store": p.Store != nil, "Throttle": p.Throttle != nil,
		"Notifier": p.Notifier != nil, "Users": p.Users != nil, "Tokens": p.Tokens != nil, "Requests": p.Requests != nil} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if p.Identities != nil && (p.Identities.Connectors == nil || p.Identities.Store == nil || p.Identities.Transactor == nil) {
		missing = append(missing, "Identities.Connectors, Store and Transactor")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("account: missing %s", strings.Join(missing, ", "))
	}
	p.emailChange = p.Mailer != nil
	if p.Attributes != nil && len(p.Attributes.EditableAttributes()) == 0 {
		p.Attributes = nil
	}
	p.paths = p.accountPaths()
	p.linked = noIdentities{}
	if p.Identities != nil {
		p.linked = p.Identities
	}
	return &p, nil
}

// Routes are the signed-in user's pages: one route per form.
func (p *Pages) Routes() []page.Route {
	routes := []page.Route{
		page.Get(PathHome+"{$}", p.home),
		page.Get(PathAccount, p.accountPage),
		page.Get(PathAccount+"/{$}", p.accountPage),
		page.Post(PathProfile, p.form(accountAction.saveProfile)),
		page.Post(PathPassword, p.form(accountAction.changePassword)),
		page.Post(PathEndSession, p.form(accountAction.endSession)),
		page.Post(PathEndAllSessions, p.form(accountAction.endAllSessions)),
		page.Post(PathRevokeApp, p.form(accountAction.revokeApp)),
		page.Post(PathTokens, p.form(accountAction.createToken)),
		page.Post(PathRevokeToken, p.form(accountAction.revokeToken)),
		page.Get(PathDelete, p.deleteForm),
		page.Post(PathDelete, p.deletePost),
	}
	if p.Mailer != nil {
		routes = append(routes,
			page.Post(PathEmail, p.form(accountAction.requestEmailChange)),
			page.Get(PathEmailConfirm, p.confirmEmailForm),
			page.Post(PathEmailConfirm, p.confirmEmail))
	} else {
		routes = append(routes, page.Post(PathEmail, p.form(accountAction.emailChangeOff)))
	}
	if p.Attributes != nil {
		routes = append(routes, page.Post(PathAttributes, p.form(accountAction.saveAttributes)))
	}
	if p.MFA != nil {
		routes = append(routes, page.Get(PathMFA, p.mfaForm), page.Post(PathMFA, p.mfaPost))
	}
	if p.Identities != nil {
		routes = append(routes, page.Post(PathUnlink, p.form(accountAction.unlinkIdentity)))
	}
	return append(routes, p.passkeyRoutes()...)
}

// accountPaths are the forms of the account page, under the issuer's path.
type accountPaths struct {
	Page, Profile, Email, Password, EndSession, EndAll, RevokeApp, CreateToken, RevokeToken, Logout, Home string
	Orgs, MFA, Delete, Passkeys                                                                           string
	Unlink                                                                                                string
	// Attributes is the editable attributes' form; empty when off.
	Attributes string
}

type accountPage struct {
	Title  string
	CSRF   string
	Paths  accountPaths
	Notice string

	Name, Email   string
	EmailVerified bool
	// EmailChange is false when no mailer is configured.
	EmailChange bool
	NewEmail    string

	ProfileError, EmailError, PasswordError, TokenError string

	// Attributes are the person's editable attributes (none: no section);
	// AttributesError says why the last save was refused.
	Attributes      []attributeField
	AttributesError string

	Sessions []sessionView
	Apps     []appView
	Tokens   []tokenView
	// Orgs is the organization switcher: the same memberships the login's
	// picker lists, the session's active one marked.
	Orgs []orgRow
	// Identities are the linked upstream sign-ins; nil without federation.
	Identities *identitiesView

	// The new-token form, and the token just created (shown once).
	TokenName    string
	Scopes       []scopeOption
	Expiries     []expiryOption
	NewToken     string
	NewTokenName string
}

type sessionView struct {
	ID, Device, IP string
	LastSeen       timeView
	SignedIn       timeView
	Current        bool
}

type appView struct {
	ClientID, Name string
	Scopes         []string
	Since          timeView
}

type timeView struct {
	ISO, Text string
}

func when(t time.Time) timeView {
	if t.IsZero() {
		return timeView{}
	}
	t = t.UTC()
	return timeView{ISO: t.Format(time.RFC3339), Text: t.Format("2 Jan 2006, 15:04 UTC")}
}

// notices are the messages a form's redirect back to the page may show
// (?done=...): fixed texts, so the query cannot inject any.
var notices = map[string]string{
	"profile":    "Your name was saved.",
	"attributes": "Your details were saved. Applications see them at your next sign-in or token refresh.",
	"email_sent": "We sent a confirmation link to the new address. Your email address changes when you open it.",
	"password":   "Your password was changed. Every other browser was signed out and applications must sign you in again.",
	"session":    "That session was signed out.",
	"app":        "The application's access was revoked.",
	"token":      "The token was revoked. Scripts using it can no longer get access.",
	"org":        "Active organization changed. Applications see it at your next sign-in or token refresh.",
	"unlinked":   "The sign-in provider was unlinked. It can no longer sign you in here.",
}

// accountPaths are the page's links and form actions; without MFA, none
// to /account/mfa.
func (p *Pages) accountPaths() accountPaths {
	a := p.Site.Path(PathAccount)
	paths := accountPaths{
		Page: a, Profile: p.Site.Path(PathProfile), Email: p.Site.Path(PathEmail), Password: p.Site.Path(PathPassword),
		EndSession: p.Site.Path(PathEndSession), EndAll: p.Site.Path(PathEndAllSessions), RevokeApp: p.Site.Path(PathRevokeApp),
		CreateToken: p.Site.Path(PathTokens), RevokeToken: p.Site.Path(PathRevokeToken), Logout: p.Site.Path(pathLogout),
		Home: p.Site.Path(PathHome), Orgs: p.Site.Path(pathOrgs), Delete: p.Site.Path(PathDelete), Unlink: p.Site.Path(PathUnlink),
	}
	if p.Passkeys != nil {
		paths.Passkeys = p.Site.Path(PathPasskeys)
	}
	if p.MFA != nil {
		paths.MFA = p.Site.Path(PathMFA)
	}
	if p.Attributes != nil {
		paths.Attributes = p.Site.Path(PathAttributes)
	}
	return paths
}

// accountPage serves GET /account: profile, email, password, sessions,
// authorized applications and personal access tokens. Signed-out visitors
// go to the login page and come back.
func (p *Pages) accountPage(w http.ResponseWriter, r *http.Request) error {
	sess, user, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return p.signInFirst(w, r)
	}
	return p.renderAccount(w, r, sess, user, http.StatusOK, accountPage{Notice: notices[r.URL.Query().Get("done")]})
}

// signInFirst sends a signed-out browser to the login page, which comes
// back to the account page: from any form too, whose post is lost (see
// other, so the login page is fetched with GET).
func (p *Pages) signInFirst(w http.ResponseWriter, r *http.Request) error {
	login := p.Site.Path(pathLogin) + "?" + url.Values{"return_to": {p.Site.Path(PathAccount)}}.Encode()
	if r.Method == http.MethodPost {
		return page.RedirectSeeOther(w, r, login)
	}
	return page.Redirect(w, r, login)
}

// form is the route of one account form: every form is a POST with a CSRF
// token by the signed-in user; each answers with a redirect back to the
// page (or, for a new token, the page itself, which shows the token once).
func (p *Pages) form(do func(accountAction) error) page.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sess, user, ok, err := p.Site.CurrentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return p.signInFirst(w, r)
		}
		if err := p.Site.Sessions().CheckCSRF(r); err != nil {
			return err
		}
		return do(accountAction{p: p, w: w, r: r, sess: sess, user: user})
	}
}

// accountAction is one account form post by the signed-in user.
type accountAction struct {
	p    *Pages
	w    http.ResponseWriter
	r    *http.Request
	sess storage.Session
	user storage.User
}

// done sends the browser back to the page with a notice (POST/redirect/GET,
// so reloading does not post again).
func (a accountAction) done(notice string) error {
	return page.RedirectSeeOther(a.w, a.r, a.p.Site.Path("/account")+"?done="+notice)
}

// again shows the page with what went wrong in one form.
func (a accountAction) again(v accountPage) error {
	return a.p.renderAccount(a.w, a.r, a.sess, a.user, http.StatusUnprocessableEntity, v)
}

// renderAccount fills the page's lists and renders it.
func (p *Pages) renderAccount(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User, status int, v accountPage) error {
	ctx := r.Context()
	v.Title = "Your account"
	v.Paths = p.paths
	v.Name, v.Email, v.EmailVerified = user.Name, user.Email, user.EmailVerified
	v.EmailChange = p.emailChange
	if v.Attributes == nil {
		v.Attributes = p.attributeFields(user)
	}

	sessions, err := p.Store.ListSessionsByUser(ctx, user.ID, p.Site.Now())
	if err != nil {
		return fmt.Errorf("account: list sessions: %w", err)
	}
	for _, s := range sessions {
		v.Sessions = append(v.Sessions, sessionView{ID: s.ID, Device: describeUserAgent(s.UserAgent), IP: s.IP,
			LastSeen: when(s.LastSeen), SignedIn: when(s.AuthTime), Current: s.ID == sess.ID})
	}
	if v.Apps, err = p.authorizedApps(r, user.ID); err != nil {
		return err
	}
	if err := p.fillTokens(r, user.ID, &v); err != nil {
		return err
	}
	ms, err := p.Store.ListMembershipsByUser(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("account: list memberships: %w", err)
	}
	for _, m := range ms {
		v.Orgs = append(v.Orgs, orgRow{ID: m.OrgID, Name: page.OrgName(m), Role: m.Role,
			URL: p.Site.Path(pathOrgs + "/" + url.PathEscape(m.OrgID)), Active: m.OrgID == sess.OrgID})
	}
	if v.Identities, err = p.linked.view(r.Context(), p.Site, user, v.Identities); err != nil {
		return err
	}
	v.CSRF = p.Site.Sessions().CSRFToken(w, r)
	page.AllowFormAction(w, p.linked.formTargets()...)
	return p.Site.Render(w, status, "account", v)
}

// authorizedApps lists the remembered consents with their clients' names.
func (p *Pages) authorizedApps(r *http.Request, userID string) ([]appView, error) {
	ctx := r.Context()
	consents, err := p.Store.ListConsentsByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("account: list consents: %w", err)
	}
	var out []appView
	for _, c := range consents {
		name := c.ClientID
		cl, err := p.Store.GetClient(ctx, c.ClientID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			name += " (no longer registered)"
		case err != nil:
			return nil, fmt.Errorf("account: read client: %w", err)
		case cl.Name != "":
			name = cl.Name
		}
		out = append(out, appView{ClientID: c.ClientID, Name: name, Scopes: c.Scopes, Since: when(c.CreatedAt)})
	}
	return out, nil
}

// ruleMessage is what a refusal by the rules (a provider/fault error) says
// to the user.
func ruleMessage(err error) string {
	return fault.Message(err, "The change was refused. Check the form and try again.")
}

type signedOutPage struct {
	Title, LoginURL string
}

// signedOut is the page after the user signed themselves out here.
func (p *Pages) signedOut(w http.ResponseWriter) error {
	return p.Site.Render(w, http.StatusOK, "signed_out", signedOutPage{Title: "Signed out", LoginURL: p.Site.Path(pathLogin)})
}

type orgRow struct {
	ID, Name, Role, URL string
	Active              bool
}
