package federation

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

// Paths of the upstream sign-in.
const (
	PathUpstreamStart    = "/login/upstream/{connector}"
	PathUpstreamCallback = "/login/upstream/callback"
	PathUpstreamLink     = "/login/upstream/link"
	PathUpstreamCancel   = "/login/upstream/cancel"
)

// Purposes of the one-time records the upstream sign-in parks.
const (
	purposeUpstreamState = "upstream_state"
	purposeUpstreamLink  = "upstream_link"
)

// upstreamCookie binds an upstream sign-in to the browser that started it:
// the state alone, which travels through the upstream, is not enough.
const upstreamCookie = "ostiary_upstream"

// DefaultUpstreamStateLifetime bounds the round trip through the upstream.
const DefaultUpstreamStateLifetime = 10 * time.Minute

// amrFederated is the session's amr after an upstream sign-in, as the issue
// asks ("fed"; RFC 8176 has no value for it).
const amrFederated = "fed"

// Store is what the upstream sign-in reads and keeps.
type Store interface {
	signin.FlowStore
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
	CreateUser(ctx context.Context, u storage.User) error
	CreateIdentity(ctx context.Context, i storage.Identity) error
	GetIdentity(ctx context.Context, issuer, subject string) (storage.Identity, error)
	ListIdentitiesByUser(ctx context.Context, userID string) ([]storage.Identity, error)
	DeleteIdentity(ctx context.Context, userID, id string) error
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
	GetOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
}

// ConnectorSet is the upstream connectors (*connectors.Registry, or a
// fixed *connectors.Set).
type ConnectorSet interface {
	Enabled() []connectors.Connector
	Get(id string) (connectors.Connector, bool)
}

// Transactor runs work in one database transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Throttle limits wrong passwords when an account is proved before
// linking; *throttle.Limiter is one.
type Throttle interface {
	Check(ctx context.Context, email, ip string) (retryAfter time.Duration, limited bool, err error)
	Failure(ctx context.Context, email, ip string) error
	Success(ctx context.Context, email string) error
}

// SecondFactor tells whether an account has a second factor: then a
// mailbox is no proof of it; *mfa.Service is one.
type SecondFactor interface {
	Status(ctx context.Context, userID string) (mfa.Status, error)
}

type noSecondFactor struct{}

func (noSecondFactor) Status(context.Context, string) (mfa.Status, error) { return mfa.Status{}, nil }

// Mailer sends the mail that proves an account by its address, within the
// per-address hourly budget of the self-service mails.
type Mailer interface {
	Send(ctx context.Context, to string, data mail.Data) error
}

// Pages is sign-in through upstream identity providers: "Sign in with …",
// linking an upstream sign-in to an account, and enterprise single sign-on.
// It implements signin.Upstream. Build it with New; when federation is off
// it is not built and signin gets signin.NoUpstream.
type Pages struct {
	Site       *page.Site
	Flows      *signin.Flows
	Passwords  *signin.Passwords
	Store      Store
	Transactor Transactor
	Throttle   Throttle
	Connectors ConnectorSet
	// StateLifetime bounds the upstream round trip
	// (DefaultUpstreamStateLifetime in the binary); New refuses zero.
	StateLifetime time.Duration
	// Orgs is enterprise single sign-on (home-realm discovery, password
	// refusal, joining organizations: an *orgsso.Service); nil turns it
	// off.
	Orgs Enterprise
	// NewAccounts lets an upstream sign-in without an account here make
	// one (self-service registration is open to all).
	NewAccounts bool
	// Mailer, when set, offers proving an account by a mailed link
	// instead of its password.
	Mailer Mailer
	// MFA may be nil when no account can have a second factor.
	MFA SecondFactor

	mailProof  bool
	enterprise bool
}

// Enterprise is organizations' own single sign-on (*orgsso.Service): the
// organization whose verified domain an address is in, and joining it at
// an upstream sign-in.
type Enterprise interface {
	Discover(ctx context.Context, email string) (storage.OrgConnector, bool, error)
	JoinAtSignIn(ctx context.Context, orgID, connectorID, userID string, groups []string) error
}

// noEnterprise is an instance without organization single sign-on: no
// address belongs to an organization's provider.
type noEnterprise struct{}

func (noEnterprise) Discover(context.Context, string) (storage.OrgConnector, bool, error) {
	return storage.OrgConnector{}, false, nil
}

func (noEnterprise) JoinAtSignIn(context.Context, string, string, string, []string) error { return nil }

// New checks p's dependencies.
func New(p Pages) (*Pages, error) {
	var missing []string
	for name, ok := range map[string]bool{"Site": p.Site != nil, "Flows": p.Flows != nil, "Passwords": p.Passwords != nil,
		"Store": p.Store != nil, "Transactor": p.Transactor != nil, "Throttle": p.Throttle != nil, "Connectors": p.Connectors != nil} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("federation: missing %s", strings.Join(missing, ", "))
	}
	if p.StateLifetime <= 0 {
		return nil, fmt.Errorf("federation: StateLifetime %v must be positive", p.StateLifetime)
	}
	p.mailProof = p.Mailer != nil
	p.enterprise = p.Orgs != nil
	if !p.enterprise {
		p.Orgs = noEnterprise{}
	}
	if p.MFA == nil {
		p.MFA = noSecondFactor{}
	}
	return &p, nil
}

// Routes are the upstream sign-in's pages, to mount with page.Site.Mount.
func (p *Pages) Routes() []page.Route {
	return append([]page.Route{
		page.Post(PathUpstreamStart, p.upstreamStart),
		page.Get(PathUpstreamCallback, p.upstreamCallback),
		page.Get(PathUpstreamLink, p.upstreamLink), page.Post(PathUpstreamLink, p.upstreamLink),
		page.Get(PathUpstreamLinkMail, p.upstreamLinkMail), page.Post(PathUpstreamLinkMail, p.upstreamLinkMail),
		page.Post(PathUpstreamCancel, p.upstreamCancel),
		page.Get(PathUpstreamLogoutDone, p.logoutDone),
	}, p.samlRoutes()...)
}

// upstreamState is what the server keeps between the redirect to the
// upstream and the callback, under the SHA-256 of the state.
type upstreamState struct {
	Connector string `json:"connector"`
	// Binding is the hex SHA-256 of the browser cookie's value.
	Binding   string `json:"binding"`
	Nonce     string `json:"nonce"`
	Verifier  string `json:"verifier"`
	RequestID string `json:"request_id,omitempty"`
	ReturnTo  string `json:"return_to,omitempty"`
	// LinkUserID is set when a signed-in user links another identity.
	LinkUserID string `json:"link_user_id,omitempty"`
	// OrgID is set when home-realm discovery chose the organization's
	// connector: the user joins it.
	OrgID string `json:"org_id,omitempty"`
	// SAML is the identity a SAML connector's response proved, checked
	// at its assertion consumer service (saml.go).
	SAML *connectors.Identity `json:"saml,omitempty"`
}

func (p *Pages) callbackURL() string { return p.Site.Link(PathUpstreamCallback, nil) }

// upstreamStart serves POST /login/upstream/{connector}: it parks the round
// trip server-side and sends the browser to the upstream.

func (p *Pages) upstreamStart(w http.ResponseWriter, r *http.Request) error {
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	conn, ok := p.Connectors.Get(r.PathValue("connector"))
	if !ok {
		return page.Show(http.StatusNotFound, "Unknown sign-in provider",
			"This sign-in option is not available. Go back and choose another.")
	}
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	st := upstreamState{Connector: conn.Config().ID}
	if f != nil {
		st.RequestID = f.Req.ID
	} else {
		st.ReturnTo = signin.SafeReturnTo(r.PostFormValue("return_to"))
	}
	if r.PostFormValue("action") == "link" {
		_, user, ok, err := p.Site.CurrentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return page.RedirectSeeOther(w, r, p.Site.Path("/login"))
		}
		st.LinkUserID = user.ID
	}
	return p.sendUpstream(w, r, conn, st)
}

// sendUpstream parks st and redirects to conn.
func (p *Pages) sendUpstream(w http.ResponseWriter, r *http.Request, conn connectors.Connector, st upstreamState) error {
	ctx := r.Context()
	binding := randtoken.New()
	start := connectors.Start{State: randtoken.New(), Nonce: randtoken.New(), Verifier: randtoken.New()}
	st.Binding = hex.EncodeToString(randtoken.Hash(binding))
	st.Nonce, st.Verifier = start.Nonce, start.Verifier
	target, err := conn.AuthURL(ctx, start, p.callbackURL())
	if err != nil {
		return p.upstreamFailed(w, r, conn.Config(), st.RequestID, err)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("federation: encode upstream state: %w", err)
	}
	now := p.Site.Now()
	life := p.StateLifetime
	// Email is the binding: a new round trip from the same browser replaces
	// the old one, and nothing else ever collides with it.
	err = p.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(start.State),
		Purpose: purposeUpstreamState, Email: "upstream:" + st.Binding, UserID: st.LinkUserID, Data: data,
		CreatedAt: now, ExpiresAt: now.Add(life)})
	if err != nil {
		return fmt.Errorf("federation: park upstream state: %w", err)
	}
	http.SetCookie(w, p.upstreamCookie(binding, int(life/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (p *Pages) upstreamCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: upstreamCookie, Value: value, Path: p.Site.Path("/login/upstream/"), MaxAge: maxAge,
		HttpOnly: true, Secure: p.Site.Sessions().Secure, SameSite: http.SameSiteLaxMode}
}

// boundToBrowser reports whether r carries the cookie whose hash is binding.
func boundToBrowser(r *http.Request, binding string) bool {
	c, err := r.Cookie(upstreamCookie)
	if err != nil || c.Value == "" {
		return false
	}
	got := hex.EncodeToString(randtoken.Hash(c.Value))
	return subtle.ConstantTimeCompare([]byte(got), []byte(binding)) == 1
}

// upstreamCallback serves GET /login/upstream/callback: the upstream sends
// the browser back with a code (or an error) and our state.

func (p *Pages) upstreamCallback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 512 {
		return p.upstreamProblem(w, r, http.StatusBadRequest, "", "This sign-in link is not valid",
			"The answer from the sign-in provider was incomplete. Start signing in again.", nil)
	}
	// Single use: of two arrivals with the same state one gets the record.
	tok, err := p.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(state), purposeUpstreamState, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return p.upstreamProblem(w, r, http.StatusBadRequest, "", "This sign-in has expired",
			"The sign-in was already completed, took too long, or did not start here. Start signing in again.", err)
	}
	if err != nil {
		return fmt.Errorf("federation: read upstream state: %w", err)
	}
	var st upstreamState
	if err := json.Unmarshal(tok.Data, &st); err != nil {
		return fmt.Errorf("federation: decode upstream state: %w", err)
	}
	http.SetCookie(w, p.upstreamCookie("", -1))
	if !boundToBrowser(r, st.Binding) {
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.upstream_failure", IP: p.Site.Sessions().RemoteIP(r),
			Details: map[string]string{"connector": st.Connector, "reason": "browser_mismatch"}})
		return p.upstreamProblem(w, r, http.StatusBadRequest, st.RequestID, "This sign-in started in another browser",
			"For your safety, a sign-in must finish in the browser where it started. Start signing in again here.", nil)
	}
	conn, ok := p.Connectors.Get(st.Connector)
	if !ok {
		return p.upstreamProblem(w, r, http.StatusBadRequest, st.RequestID, "Unknown sign-in provider",
			"This sign-in option is no longer available.", nil)
	}
	cfg := conn.Config()
	if st.SAML != nil {
		return p.upstreamSignedIn(w, r, cfg, st, *st.SAML)
	}
	if e := q.Get("error"); e != "" {
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.upstream_failure", IP: p.Site.Sessions().RemoteIP(r),
			Details: map[string]string{"connector": cfg.ID, "reason": "upstream_" + truncateCode(e)}})
		if e == "access_denied" {
			return p.upstreamProblem(w, r, http.StatusForbidden, st.RequestID, "Sign-in was cancelled",
				cfg.Name+" did not sign you in: the request was declined there.", nil)
		}
		return p.upstreamProblem(w, r, http.StatusBadGateway, st.RequestID, "Sign-in did not work",
			cfg.Name+" could not sign you in. Try again, or choose another way to sign in.", nil)
	}
	code := q.Get("code")
	if code == "" {
		return p.upstreamProblem(w, r, http.StatusBadRequest, st.RequestID, "This sign-in link is not valid",
			"The answer from "+cfg.Name+" had no authorization code. Start signing in again.", nil)
	}
	id, err := conn.Finish(ctx, code, connectors.Start{State: state, Nonce: st.Nonce, Verifier: st.Verifier}, p.callbackURL())
	if err != nil {
		return p.upstreamFailed(w, r, cfg, st.RequestID, err)
	}
	return p.upstreamSignedIn(w, r, cfg, st, id)
}

// truncateCode keeps an upstream's error code short enough for the log.
func truncateCode(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// upstreamFailed shows why a connector could not finish.
func (p *Pages) upstreamFailed(w http.ResponseWriter, r *http.Request, cfg connectors.Config, requestID string, err error) error {
	reason := "error"
	title, detail, status := "Sign-in did not work", cfg.Name+" could not sign you in. Try again in a moment.", http.StatusBadGateway
	switch {
	case errors.Is(err, connectors.ErrUnavailable):
		reason = "unavailable"
		title = cfg.Name + " is not answering"
		detail = "We could not reach " + cfg.Name + " to sign you in. Try again in a moment, or choose another way to sign in."
	case errors.Is(err, connectors.ErrInvalidToken):
		reason = "invalid_token"
		title = "Sign-in could not be verified"
		detail = "The answer from " + cfg.Name + " did not pass our checks, so you were not signed in. Start signing in again."
	}
	p.Site.Audit(r.Context(), storage.AuditEvent{Type: "login.upstream_failure", IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"connector": cfg.ID, "reason": reason}})
	return p.upstreamProblem(w, r, status, requestID, title, detail, err)
}

// Buttons are the login page's "Sign in with …" forms (signin.Upstream).
func (p *Pages) Buttons(f *signin.Flow) []signin.Button {
	var out []signin.Button
	for _, c := range p.Connectors.Enabled() {
		cfg := c.Config()
		action := p.Flows.InFlow("/login/upstream/"+cfg.ID, f)
		out = append(out, signin.Button{ID: cfg.ID, Name: cfg.Name, Icon: cfg.Icon, Action: action,
			Initial: signin.Initial(cfg.Name)})
	}
	return out
}

// AuthOrigins are the upstreams' origins (signin.Upstream): the 303 of an
// upstream button goes there, and browsers apply form-action to redirects
// too.
func (p *Pages) AuthOrigins() []string {
	var origins []string
	for _, c := range p.Connectors.Enabled() {
		origins = append(origins, c.AuthOrigins()...)
	}
	return origins
}

// SSO reports whether home-realm discovery is on (signin.Upstream).
func (p *Pages) SSO() bool { return p.enterprise }
