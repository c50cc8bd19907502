package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
	foauth2 "github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/hmac"
	"github.com/ory/fosite/token/jwt"

	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/dpop"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/storage"
)

// Paths of the pages (web/signin and web/account) the authorization endpoint sends the
// browser to, relative to the issuer. Each gets ?request=ID.
const (
	PathLogin        = "/login"
	PathOrganization = "/organization"
	PathConsent      = "/consent"
	// PathMFASetup is where a user without the second factor their
	// organization requires sets it up (or confirms it for this session).
	PathMFASetup = "/account/mfa"
	// PathResume is where the pages send the browser back.
	PathResume = "/oauth2/authorize/resume"
	pathToken  = "/oauth2/token"
	// pathPushedAuthorize is discovery.PathPushedAuthorize.
	pathPushedAuthorize = discovery.PathPushedAuthorize
)

// The lifespans provider.DefaultConfig gives, which the ostiary binary runs
// with. New takes none of them by itself: a zero lifespan is an error.
const (
	DefaultAccessTokenLifespan = 15 * time.Minute
	// RFC 6749 §4.1.2 recommends at most ten minutes for a code; one is
	// plenty for a redirect.
	DefaultAuthorizeCodeLifespan = time.Minute
	DefaultRefreshTokenLifespan  = 30 * 24 * time.Hour
	DefaultIDTokenLifespan       = time.Hour
	DefaultAuthRequestLifespan   = 30 * time.Minute
	DefaultPATExchangeLifespan   = 15 * time.Minute
)

// Config is the protocol configuration, validated by New.
type Config struct {
	// Issuer is the provider's issuer URL, e.g. http://localhost:8080.
	Issuer string
	// HMACSecret signs codes and refresh tokens (fosite's GlobalSecret); at
	// least 32 bytes, of which the first 32 are used. The caller derives it
	// from the system secret. RotatedHMACSecrets are older ones still
	// accepted.
	HMACSecret         []byte
	RotatedHMACSecrets [][]byte

	AccessTokenLifespan   time.Duration
	RefreshTokenLifespan  time.Duration
	AuthorizeCodeLifespan time.Duration
	IDTokenLifespan       time.Duration
	// RefreshGracePeriod lets a rotated refresh token be used again for this
	// long (several tabs refreshing at once); zero is strict rotation.
	RefreshGracePeriod time.Duration
	// RefreshFamilyLifetime caps a refresh chain from the code exchange on,
	// however often it is rotated; zero is no cap.
	RefreshFamilyLifetime time.Duration
	// PATExchangeLifespan is how long an access token exchanged for a
	// personal access token lives (never past the PAT's own expiry).
	PATExchangeLifespan time.Duration
	// AuthRequestLifespan is how long a parked authorization request waits
	// for the user.
	AuthRequestLifespan time.Duration
	// AccessTokenAlg signs access tokens: RS256 (""), ES256 or EdDSA; the
	// key set must keep a key for it (keys.Manager.Algorithms).
	AccessTokenAlg string
	// DeviceCodeLifespan is how long a device authorization (RFC 8628)
	// waits for the user; DevicePollInterval the least time between two
	// polls of the device, in whole seconds.
	DeviceCodeLifespan time.Duration
	DevicePollInterval time.Duration
	// PushedRequestLifespan is how long a pushed authorization request
	// (RFC 9126) waits to be used.
	PushedRequestLifespan time.Duration
	// RequirePushedAuthorizationRequests makes every client push its
	// authorization requests first (RFC 9126 §5); a client can also be
	// made to on its own (storage.Client).
	RequirePushedAuthorizationRequests bool
	// DefaultAudience is the aud of an access token whose client has no
	// registered audience and that names no resource (RFC 8707); empty is
	// the issuer URL.
	DefaultAudience string
	// DPoPNonces makes DPoP proofs carry a nonce the server issued (RFC
	// 9449 §8, use_dpop_nonce and the DPoP-Nonce header).
	DPoPNonces bool
}

// Store is what the package reads and writes; storage.Store satisfies it.
type Store interface {
	storage.APIStore
	GetClient(ctx context.Context, id string) (storage.Client, error)
	ListClients(ctx context.Context) ([]storage.Client, error)

	GetUser(ctx context.Context, id string) (storage.User, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)

	CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error
	GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error
	DeleteAuthRequest(ctx context.Context, id string) error

	storage.PushedRequestStore

	GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error)
	PutConsent(ctx context.Context, c storage.Consent) error

	storage.TokenStore
	PATStore
	storage.DeviceGrantStore
	storage.DPoPProofStore

	BeginTX(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Keys are the provider's signing keys (provider/keys.Manager).
type Keys = tokens.Keys

// ClientCacheTTL bounds how long a client registration read from the store
// is reused (fositestore.ClientCacheTTL says what that means).
const ClientCacheTTL = fositestore.ClientCacheTTL

// Browser finds the signed-in browser session (provider/browser.Sessions).
type Browser interface {
	Current(r *http.Request) (storage.Session, bool, error)
}

// ErrorPages renders an HTML error page: what the authorization endpoint
// shows when it must not redirect to the client.
type ErrorPages interface {
	RenderError(w http.ResponseWriter, r *http.Request, status int, title, detail string)
}

// Deps are the collaborators New wires in.
type Deps struct {
	Store   Store
	Keys    Keys
	Browser Browser
	Pages   ErrorPages
	// HTTP fetches clients' jwks_uri documents (provider/outbound: the
	// guarded client); nil is a plain client, for tests.
	HTTP *http.Client
	// Now is the clock; nil is time.Now. fosite itself reads time.Now for
	// token expiry; Now rules parked requests, max_age, the refresh grace
	// period and family lifetime, and the adapter's expiry checks.
	Now    func() time.Time
	Logger *slog.Logger
	// Proxies finds the client's address for the log and the audit of a
	// refused client authentication; the zero value is the peer.
	Proxies clientip.Resolver
	// Audit, when set, records each refused client authentication
	// (EventClientAuthFailed) without waiting for the write.
	Audit Auditor
	// Metrics counts issued tokens and refresh token reuse; nil counts
	// nothing.
	Metrics Metrics
}

// Metrics is what the token endpoint counts (provider/metrics.Metrics).
type Metrics interface {
	// TokenIssued: a successful token response to an authenticated (or
	// registered public) client.
	TokenIssued(grantType, clientID string)
	// RefreshReuse: a rotated or revoked refresh token presented again.
	RefreshReuse()
}

type noMetrics struct{}

func (noMetrics) TokenIssued(string, string) {}
func (noMetrics) RefreshReuse()              {}

// Server serves the protocol endpoints. Its methods are http.HandlerFuncs.
type Server struct {
	cfg     Config
	issuer  *url.URL
	store   Store
	browser Browser
	pages   ErrorPages
	now     func() time.Time
	log     *slog.Logger
	proxies clientip.Resolver
	audit   Auditor

	provider *fosite.Fosite
	adapter  *fositestore.Adapter
	// clients are the registrations as fosite sees them, also the
	// adapter's.
	clients *fositestore.ClientCache
	signer  *tokens.Signer
	// strategy computes token signatures (what the records are keyed by).
	strategy tokens.Strategy
	origins  *originCache
	// http fetches jwks_uri documents.
	http *http.Client
	// jwks resolves clients' jwks_uri (private_key_jwt, request objects).
	jwks *jwksFetcher
	// dpop checks DPoP proofs (RFC 9449) at the token and userinfo endpoints.
	dpop    *dpop.Verifier
	metrics Metrics
}

// New validates cfg and deps and composes fosite.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg = cfg.withDefaults()
	issuer, err := cfg.validate()
	if err := errors.Join(err, deps.validate()); err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:     cfg,
		issuer:  issuer,
		store:   deps.Store,
		browser: deps.Browser,
		pages:   deps.Pages,
		now:     now,
		log:     logger,
		proxies: deps.Proxies,
		audit:   deps.Audit,
		signer:  tokens.NewSigner(deps.Keys, cfg.AccessTokenAlg),
		origins: &originCache{store: deps.Store, now: now, ttl: originCacheTTL},
		http:    deps.HTTP,
		clients: fositestore.NewClientCache(deps.Store, now, ClientCacheTTL, cfg.DefaultAudience),
		dpop:    &dpop.Verifier{Store: deps.Store, Now: now, Window: dpop.DefaultWindow},
		metrics: deps.Metrics,
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if cfg.DPoPNonces {
		// Every replica derives the same nonce key from the shared secret.
		key := sha256.Sum256(append([]byte("ostiary dpop nonce\x00"), cfg.HMACSecret[:32]...))
		s.dpop.Nonces = &dpop.Nonces{Secret: key[:], Period: dpop.DefaultNoncePeriod}
	}
	var successors *fositestore.RefreshSuccessors
	if cfg.RefreshGracePeriod > 0 {
		successors = fositestore.NewRefreshSuccessors(cfg.HMACSecret)
	}
	s.adapter = fositestore.NewAdapter(deps.Store, s.clients, fositestore.Config{
		Now:                   now,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		RefreshGracePeriod:    cfg.RefreshGracePeriod,
		RefreshFamilyLifetime: cfg.RefreshFamilyLifetime,
		Successors:            successors,
	})
	s.compose(deps.Keys, successors)
	return s, nil
}

func (c Config) withDefaults() Config {
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	if c.DefaultAudience == "" {
		c.DefaultAudience = c.Issuer
	}
	return c
}

func (c Config) validate() (*url.URL, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := discovery.CheckIssuer(c.Issuer); err != nil {
		bad("issuer: %v", err)
	}
	u, _ := url.Parse(c.Issuer)
	if len(c.HMACSecret) < 32 {
		bad("HMAC secret: at least 32 bytes required, got %d", len(c.HMACSecret))
	}
	for i, s := range c.RotatedHMACSecrets {
		if len(s) < 32 {
			bad("rotated HMAC secret %d: at least 32 bytes required, got %d", i, len(s))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"access token lifespan", c.AccessTokenLifespan},
		{"refresh token lifespan", c.RefreshTokenLifespan},
		{"authorization code lifespan", c.AuthorizeCodeLifespan},
		{"ID token lifespan", c.IDTokenLifespan},
		{"authorization request lifespan", c.AuthRequestLifespan},
		{"PAT exchange lifespan", c.PATExchangeLifespan},
		{"device code lifespan", c.DeviceCodeLifespan},
		{"device poll interval", c.DevicePollInterval},
		{"pushed request lifespan", c.PushedRequestLifespan},
	} {
		if d.v <= 0 {
			bad("%s: must be positive, not %v", d.name, d.v)
		}
	}
	switch c.AccessTokenAlg {
	case "", tokens.AlgRS256, tokens.AlgES256, tokens.AlgEdDSA:
	default:
		bad("access token alg: %q is not RS256, ES256 or EdDSA", c.AccessTokenAlg)
	}
	if c.DevicePollInterval%time.Second != 0 {
		bad("device poll interval: must be whole seconds (RFC 8628 §3.2), not %v", c.DevicePollInterval)
	}
	// Zero means off here: no grace, no cap.
	if c.RefreshGracePeriod < 0 {
		bad("refresh grace period: must not be negative")
	}
	if c.RefreshFamilyLifetime < 0 {
		bad("refresh family lifetime: must not be negative")
	}
	return u, errors.Join(errs...)
}

func (d Deps) validate() error {
	var errs []error
	if d.Store == nil {
		errs = append(errs, errors.New("deps: Store is required"))
	}
	if d.Keys == nil {
		errs = append(errs, errors.New("deps: Keys is required"))
	}
	if d.Browser == nil {
		errs = append(errs, errors.New("deps: Browser is required"))
	}
	if d.Pages == nil {
		errs = append(errs, errors.New("deps: Pages is required"))
	}
	return errors.Join(errs...)
}

// compose wires fosite explicitly (never ComposeAllEnabled, which turns on
// the implicit and password grants): authorization code, then PKCE, then
// OpenID Connect explicit; refresh; client credentials; introspection;
// revocation; OpenID Connect refresh; then our RFC 8693 token exchange of
// personal access tokens (grants.PATExchange) and our RFC 8628 device
// authorization grant (grants.DeviceCode).
func (s *Server) compose(keys Keys, successors *fositestore.RefreshSuccessors) {
	cfg := s.cfg
	secret := cfg.HMACSecret[:32]
	rotated := make([][]byte, len(cfg.RotatedHMACSecrets))
	for i, r := range cfg.RotatedHMACSecrets {
		rotated[i] = r[:32]
	}
	s.jwks = newJWKSFetcher(s.http, s.log)
	fc := &fosite.Config{
		AccessTokenLifespan:   cfg.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		IDTokenLifespan:       cfg.IDTokenLifespan,
		IDTokenIssuer:         cfg.Issuer,
		AccessTokenIssuer:     cfg.Issuer,
		// Every strategy fosite would set lazily is set here: the lazy
		// setters write the config without a lock.
		ScopeStrategy:                fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:     fosite.ExactAudienceMatchingStrategy,
		ClientSecretsHasher:          sha256Hasher{},
		JWKSFetcherStrategy:          s.jwks,
		ClientAuthenticationStrategy: s.authenticateClient,
		// RFC 9700 §2.1.1: PKCE for every code; S256 only (this also closes
		// the downgrade of ory/fosite#883). grants.PKCEPolicy applies the
		// per-client exception with its own configuration.
		EnforcePKCE:                    true,
		EnablePKCEPlainChallengeMethod: false,
		AllowedPromptValues:            []string{"login", "none", "consent", "select_account"},
		// private_key_jwt assertions must name the token endpoint.
		TokenURL:         cfg.Issuer + pathToken,
		JWTScopeClaimKey: jwt.JWTScopeFieldString,
		GlobalSecret:     secret,
		// Only refresh tokens for offline_access (OIDC Core §11).
		RefreshTokenScopes:   []string{"offline_access"},
		RotatedGlobalSecrets: rotated,
	}
	hmacStrategy := foauth2.NewHMACSHAStrategy(&hmac.HMACStrategy{Config: fc}, fc)
	s.strategy = tokens.NewStrategy(&foauth2.DefaultJWTStrategy{Signer: s.signer, HMACSHAStrategy: hmacStrategy, Config: fc}, keys, successors)
	s.strategy.APIs = s.store
	idStrategy := &openid.DefaultStrategy{Signer: s.signer, Config: fc}
	st := s.adapter
	idHelper := &openid.IDTokenHandleHelper{IDTokenStrategy: idStrategy}

	code := &foauth2.AuthorizeExplicitGrantHandler{
		AccessTokenStrategy:    s.strategy,
		RefreshTokenStrategy:   s.strategy,
		AuthorizeCodeStrategy:  s.strategy,
		CoreStorage:            st,
		TokenRevocationStorage: st,
		Config:                 fc,
	}
	pkceHandler := grants.NewPKCEPolicy(s.strategy, st)
	oidcExplicit := &openid.OpenIDConnectExplicitHandler{
		OpenIDConnectRequestStorage:   st,
		OpenIDConnectRequestValidator: openid.NewOpenIDConnectRequestValidator(s.signer, fc),
		Config:                        fc,
		IDTokenHandleHelper:           idHelper,
	}
	refresh := &foauth2.RefreshTokenGrantHandler{
		AccessTokenStrategy:    s.strategy,
		RefreshTokenStrategy:   s.strategy,
		TokenRevocationStorage: st,
		Config:                 fc,
	}
	clientCredentials := &foauth2.ClientCredentialsGrantHandler{
		HandleHelper: &foauth2.HandleHelper{AccessTokenStrategy: s.strategy, AccessTokenStorage: st, Config: fc},
		Config:       fc,
	}
	introspect := &foauth2.CoreValidator{CoreStrategy: s.strategy, CoreStorage: st, Config: fc}
	revoke := &foauth2.TokenRevocationHandler{TokenRevocationStorage: st, RefreshTokenStrategy: s.strategy, AccessTokenStrategy: s.strategy}
	oidcRefresh := &openid.OpenIDConnectRefreshHandler{IDTokenHandleHelper: idHelper, Config: fc}
	exchange := &grants.PATExchange{
		Helper:   &foauth2.HandleHelper{AccessTokenStrategy: s.strategy, AccessTokenStorage: st, Config: fc},
		Store:    s.store,
		Config:   fc,
		Lifespan: cfg.PATExchangeLifespan,
		// Access and ID token subjects (RFC 8693 §3).
		AccessTokens: introspect,
		IDTokens:     s.signer,
		Issuer:       cfg.Issuer,
		Now:          s.now,
		Log:          s.log,
	}
	device := &grants.DeviceCode{
		AccessTokenStrategy:  s.strategy,
		RefreshTokenStrategy: s.strategy,
		Tokens:               st,
		IDToken:              idHelper,
		Store:                s.store,
		Config:               fc,
		Now:                  s.now,
	}

	fc.AuthorizeEndpointHandlers = fosite.AuthorizeEndpointHandlers{code, pkceHandler, oidcExplicit}
	fc.TokenEndpointHandlers = fosite.TokenEndpointHandlers{
		grants.GrantOnly{TokenEndpointHandler: grants.CodeExchange{AuthorizeExplicitGrantHandler: code}, Required: []string{"code"}},
		grants.GrantOnly{TokenEndpointHandler: pkceHandler}, grants.GrantOnly{TokenEndpointHandler: oidcExplicit},
		grants.GrantOnly{TokenEndpointHandler: refresh, Required: []string{"refresh_token"}},
		grants.GrantOnly{TokenEndpointHandler: clientCredentials}, grants.GrantOnly{TokenEndpointHandler: oidcRefresh},
		grants.GrantOnly{TokenEndpointHandler: exchange},
		grants.GrantOnly{TokenEndpointHandler: device, Required: []string{"device_code"}},
	}
	fc.TokenIntrospectionHandlers = fosite.TokenIntrospectionHandlers{introspect}
	fc.RevocationHandlers = fosite.RevocationHandlers{revoke}
	s.provider = fosite.NewOAuth2Provider(st, pushAudiences{Config: fc, issuer: cfg.Issuer})
}

// path returns the issuer-relative path p as an absolute-path reference.
func (s *Server) path(p string) string {
	return strings.TrimSuffix(s.issuer.Path, "/") + p
}
