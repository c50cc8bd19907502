package provider

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/audit"
	"github.com/ostiary/ostiary/provider/backchannel"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/dpop"
	"github.com/ostiary/ostiary/provider/health"
	"github.com/ostiary/ostiary/provider/httpobs"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/metrics"
	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/provider/scim"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/tracing"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

// Provider is the assembled identity provider: one http.Handler.
type Provider struct {
	// Services is the domain layer the handlers use (services.go).
	Services *Services
	// Keys is the signing key manager, for the CLI and tests.
	Keys *keys.Manager
	// Metrics is the provider's Prometheus registry and instruments,
	// served by MetricsHandler on a listener of its own.
	Metrics *metrics.Metrics
	// serve is every request's way in: the observation middleware
	// (httpobs: request id, metrics, access log) around route.
	serve   http.Handler
	handler http.Handler
	// wellKnown maps the exact paths of the discovery documents and the
	// JWKS to their handler (the one the mux has for them too).
	wellKnown map[string]wellKnownRoute
	// admin is the admin API, also mounted on handler unless
	// Config.AdminSeparate.
	admin http.Handler
	// routes are the mux's patterns, as mounted: tests cover every one.
	routes []string
	notify *backchannel.Notifier
	mailer *mail.Worker
	// authFailures is the queue of client.auth_failed events.
	authFailures *audit.Queue
	// traced is the observed route inside a server span, when tracing is
	// on (then serve is traced); nil when off.
	traced http.Handler
	// background is the key rotation schedule and the janitor, when on.
	background []func(context.Context)
}

// New builds every handler over the services of NewServices and mounts
// them. It makes sure a signing key exists (generating the first on an
// empty database).
func New(ctx context.Context, cfg Config, store storage.Store, logger *slog.Logger) (*Provider, error) {
	svc, err := NewServices(cfg, store, logger)
	if err != nil {
		return nil, err
	}
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	km, recorder, notify := svc.Keys, svc.Audit, svc.Notifier
	if err := km.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	// One registry per provider (never the global one): tests build many.
	m := metrics.New()
	m.RegisterDB(store)
	m.RegisterMailQueue(store.MailQueue, cfg.now)
	m.RegisterKeys(km.List, cfg.now)
	notify.Finished = m.BackchannelDelivery

	// validate checked the list; the one resolver serves every handler
	// that records or counts client addresses.
	proxies, err := clientip.New(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	sessions := &browser.Sessions{
		Store:       store,
		HashKeys:    secrets.Derive(cfg.Secrets, secrets.PurposeCookieAuth, 32),
		BlockKeys:   secrets.Derive(cfg.Secrets, secrets.PurposeCookieEncrypt, 32),
		Secure:      issuer.Scheme == "https",
		Origin:      issuer.Scheme + "://" + issuer.Host,
		Lifetime:    cfg.SessionLifetime,
		IdleTimeout: cfg.SessionIdleTimeout,
		Now:         cfg.now,
		Proxies:     proxies,
	}
	limiter := &throttle.Limiter{
		Store:         store,
		AccountLimit:  cfg.MaxFailuresPerAccount,
		AccountWindow: cfg.FailureWindow,
		IPLimit:       cfg.MaxFailuresPerIP,
		IPWindow:      cfg.FailureWindow,
		DeviceLimit:   cfg.MaxFailuresPerDevice,
		Now:           cfg.now,
		Rejected:      func() { m.ThrottleRejected(metrics.LimiterLogin) },
	}
	guard, egress := svc.Guard, svc.HTTP
	if !cfg.DisableDeviceCookies {
		limiter.DeviceKeys = secrets.Derive(cfg.Secrets, secrets.PurposeDeviceCookie, 32)
	}
	worker, selfServe, err := newMail(cfg, issuer, store, logger)
	if err != nil {
		return nil, err
	}
	// One page.Site for every page area, and for the authorization
	// endpoint's error pages.
	site, err := page.New(page.Config{Issuer: cfg.Issuer, Sessions: sessions, Users: store, Audit: m.CountLogins(recorder),
		Now: cfg.now, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	flows := &signin.Flows{Site: site, Store: store}
	// Refused client authentications are audited without the endpoint
	// waiting for the write.
	authFailures := audit.NewQueue(recorder, authFailureQueue, logger)
	hmac := secrets.Derive(cfg.Secrets, secrets.PurposeTokenHMAC, 32)
	oa, err := oauth.New(oauth.Config{
		Issuer:                cfg.Issuer,
		HMACSecret:            hmac[0],
		RotatedHMACSecrets:    hmac[1:],
		AccessTokenLifespan:   cfg.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		IDTokenLifespan:       cfg.IDTokenLifespan,
		AuthRequestLifespan:   cfg.AuthRequestLifespan,
		PATExchangeLifespan:   cfg.PATExchangeLifespan,
		RefreshGracePeriod:    cfg.RefreshGracePeriod,
		RefreshFamilyLifetime: cfg.RefreshFamilyLifetime,
		DefaultAudience:       cfg.DefaultAudience,
		AccessTokenAlg:        cfg.AccessTokenAlg,
		DeviceCodeLifespan:    cfg.DeviceCodeLifespan,
		DevicePollInterval:    cfg.DevicePollInterval,

		PushedRequestLifespan:              cfg.PushedRequestLifespan,
		RequirePushedAuthorizationRequests: cfg.RequirePushedAuthorizationRequests,
		DPoPNonces:                         cfg.DPoPNonces,
	}, oauth.Deps{Store: store, Keys: km, Browser: sessions, Pages: site, HTTP: egress, Now: cfg.now, Logger: logger,
		Proxies: proxies, Audit: authFailures, Metrics: m})
	if err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	// Logout verifies its hints with the protocol's own signer.
	pages, err := newPages(svc, pageDeps{store: store, site: site, flows: flows, limiter: limiter,
		hints: idTokenHints{oa}, selfServe: selfServe, devices: oa, metrics: m})
	if err != nil {
		return nil, err
	}

	meta := discovery.NewMetadata(cfg.Issuer)
	meta.AuthorizationResponseIssParameterSupported = true // oauth adds iss (RFC 9207)
	meta.PromptValuesSupported = []string{"none", "login", "consent", "select_account"}
	// Exactly the algorithms the key set signs with, which clients may
	// register (id_token_signed_response_alg).
	meta.IDTokenSigningAlgValuesSupported = km.SigningAlgorithms()
	meta.PushedAuthorizationRequestEndpoint = strings.TrimSuffix(cfg.Issuer, "/") + discovery.PathPushedAuthorize
	meta.RequirePushedAuthorizationRequests = cfg.RequirePushedAuthorizationRequests
	// The token and userinfo endpoints check DPoP proofs (RFC 9449 §5.1).
	meta.DPoPSigningAlgValuesSupported = dpop.Algorithms
	// Client changes made in this process reach the token endpoint's cache
	// at once.
	svc.onClientChange(oa.ClientChanged)
	registration := newClientRegistration(cfg, svc.Clients, recorder, proxies, &guard, logger)
	if registration != nil {
		meta.RegistrationEndpoint = strings.TrimSuffix(cfg.Issuer, "/") + dcr.PathRegister
	}
	disc := &discovery.Handler{Metadata: meta, Keys: km, MaxAge: cfg.JWKSMaxAge, Logger: logger}
	probes := &health.Handler{DB: store, Logger: logger}

	base := strings.TrimSuffix(issuer.Path, "/")
	// One service for the admin API and the admin pages' changes.
	adminOps := svc.Admin
	admin := (&adminapi.Handler{
		Service: adminOps,
		Auth:    oa, Issuer: cfg.Issuer, Logger: logger, Base: base, Proxies: proxies,
	}).Handle()
	mux := http.NewServeMux()
	var routes []string
	// mount registers a whole pattern and records it for the tests.
	mount := page.MuxFunc(func(pattern string, h http.Handler) {
		if cfg.Tracing != nil {
			h = tracing.Route(pattern, h)
		}
		mux.Handle(pattern, h)
		routes = append(routes, pattern)
	})
	handle := func(pattern string, h http.Handler) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		if method != "" {
			method += " "
		}
		mount(method+base+path, h)
	}
	// The authorization endpoint and its resumption are pages too: their
	// errors are the site's error page, with its headers.
	pageHandler := func(f http.HandlerFunc) http.Handler { return page.Headers(f) }

	if !cfg.AdminSeparate {
		handle(adminapi.BasePath+"/", admin)
	}
	// Each organization's SCIM service, under its own token.
	scimAPI := &scim.Handler{Service: svc.Provisioning, Issuer: cfg.Issuer, Base: base, Logger: logger, Proxies: proxies}
	handle(scim.BasePath+"/", scimAPI.Handle())
	handle("/healthz", http.HandlerFunc(probes.Live))
	handle("/readyz", http.HandlerFunc(probes.Ready))
	handle(discovery.PathOpenIDConfiguration, disc)
	handle(discovery.PathOAuthServerMetadata, disc)
	handle(discovery.PathJWKS, disc)

	handle(discovery.PathAuthorize, pageHandler(oa.Authorize))
	handle(oauth.PathResume, pageHandler(oa.ResumeAuthorize))
	handle(discovery.PathToken, http.HandlerFunc(oa.Token))
	handle(discovery.PathPushedAuthorize, http.HandlerFunc(oa.PushedAuthorize))
	handle(discovery.PathIntrospect, http.HandlerFunc(oa.Introspect))
	handle(discovery.PathRevoke, http.HandlerFunc(oa.Revoke))
	handle(discovery.PathDeviceAuthorization, http.HandlerFunc(oa.DeviceAuthorization))
	handle(discovery.PathUserinfo, http.HandlerFunc(oa.Userinfo))
	if registration != nil {
		handle(dcr.PathRegister, http.HandlerFunc(registration.Register))
		handle(dcr.PathRegister+"/{client_id}", http.HandlerFunc(registration.Configuration))
	}

	for _, table := range pages.tables {
		site.Mount(mount, table)
	}
	handle(page.PathStatic, site.Static())
	handle("/", site.NotFound(mux))

	wellKnown := map[string]wellKnownRoute{}
	for _, path := range []string{discovery.PathOpenIDConfiguration, discovery.PathOAuthServerMetadata, discovery.PathJWKS} {
		// The pattern is the one handle mounted it under.
		wellKnown[base+path] = wellKnownRoute{disc, base + path}
	}
	// The reset form enqueues alike for every address; the worker decides.
	worker.Preparers = map[string]mail.Preparer{selfservice.PurposeResetPassword: pages.prepareReset}
	// Every request's text is checked once, before any handler
	// (textcheck): invalid UTF-8 or NUL never reaches the database.
	refuse := refuseText(base, site, logger)
	// Every request, on either listener, passes the one observation
	// middleware first (httpobs): its id, its metrics, its access log line;
	// with tracing on, inside its server span.
	observe := &httpobs.Middleware{Metrics: m, Log: cfg.AccessLog, RemoteIP: proxies.ClientIP}
	p := &Provider{Services: svc, Keys: km, Metrics: m, handler: textcheck.Handler(mux, refuse), wellKnown: wellKnown,
		admin: observe.Wrap(textcheck.Handler(admin, refuse)), routes: routes, notify: notify, mailer: worker,
		authFailures: authFailures, background: append(newBackground(cfg, svc), watchClients(store, oa)...)}
	p.serve = observe.Wrap(http.HandlerFunc(p.route))
	if cfg.Tracing != nil {
		exact := map[string]bool{}
		for path := range wellKnown {
			exact[path] = true
		}
		p.traced = tracing.Handler(cfg.Tracing, p.serve, exact)
		p.serve = p.traced
		p.admin = tracing.Handler(cfg.Tracing, p.admin, nil)
	}
	return p, nil
}

// wellKnownRoute is a discovery document's or the JWKS's handler and the
// pattern the mux has it under.
type wellKnownRoute struct {
	h       http.Handler
	pattern string
}

// newMail builds the outbox worker and the configuration of the
// self-service pages (web/selfservice). Without SMTP, mails go to the log and, on a loopback issuer
// only, to the /dev/mail page.
func newMail(cfg Config, issuer *url.URL, store storage.Store, logger *slog.Logger) (*mail.Worker, *selfservice.Pages, error) {
	m := cfg.Mail
	worker := &mail.Worker{Queue: store, From: m.From, Now: cfg.now, PollInterval: m.PollInterval, Lease: m.Lease,
		MaxAttempts: m.MaxAttempts, Backoff: m.RetryBackoff, MaxBackoff: m.MaxBackoff, Logger: logger}
	sealer, err := secrets.NewSealer(secrets.Derive(cfg.Secrets, secrets.PurposeMailBody, secrets.SealKeySize))
	if err != nil {
		return nil, nil, fmt.Errorf("provider: mail sealer: %w", err)
	}
	worker.Sealer = sealer
	var devMail selfservice.MailLister
	if m.SMTP != nil {
		smtp := *m.SMTP
		if smtp.LocalName == "" {
			smtp.LocalName = ehloName(issuer.Hostname())
		}
		worker.Sender = &smtp
	} else {
		logSender := &mail.Log{Logger: logger}
		worker.Sender = logSender
		if clients.IsLoopback(issuer.Hostname()) {
			devMail = logSender
		}
		logger.Warn("no SMTP server configured: mails are written to the log, not sent (development mode)",
			"dev_page", devMail != nil)
	}
	outbox, err := mail.NewOutbox(store, templates.Mail, sealer, cfg.now, worker.Wake)
	if err != nil {
		return nil, nil, err
	}
	worker.Outbox = outbox
	selfServe := &selfservice.Pages{
		Store:                 store,
		Mail:                  &selfservice.MailCap{Store: store, Outbox: outbox, PerHour: m.MaxPerAddressPerHour, Now: cfg.now, Logger: logger},
		Registration:          cfg.Registration,
		InviteOnly:            cfg.InviteOnly,
		Policy:                cfg.passwordPolicy(),
		VerifyEmailLifetime:   cfg.VerifyEmailLifetime,
		ResetPasswordLifetime: cfg.ResetPasswordLifetime,
		DevMail:               devMail,
	}
	return worker, selfServe, nil
}

// ehloName is host as RFC 5321 §4.1.3 wants it in EHLO: an IP address as
// an address literal.
func ehloName(host string) string {
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return host
	case ip.To4() != nil:
		return "[" + ip.String() + "]"
	default:
		return "[IPv6:" + ip.String() + "]"
	}
}

// Run does the provider's background work, sending the mail outbox,
// rotating keys on schedule and sweeping expired rows, until ctx ends; it
// returns once a delivery in progress has finished.
func (p *Provider) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, run := range p.background {
		wg.Go(func() { run(ctx) })
	}
	p.mailer.Run(ctx)
	wg.Wait()
}

// ServeHTTP serves every endpoint of the provider, each request through
// the observation middleware (p.serve: request id, metrics, access log),
// inside a server span when tracing is on (Config.Tracing), and then route.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.serve.ServeHTTP(w, r)
}

// route sends a request to its handler. GET and HEAD of the discovery
// documents and the JWKS, which every client and resource server polls, go
// straight to their handler: the mux would pick the same one for these
// exact, clean paths, after a pattern match that cost about a tenth of such
// a request. The fast path names the pattern the mux would have matched, so
// that the metrics and the access log see the same route either way.
func (p *Provider) route(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if wk, ok := p.wellKnown[r.URL.Path]; ok {
			r.Pattern = wk.pattern
			wk.h.ServeHTTP(w, r)
			return
		}
	}
	p.handler.ServeHTTP(w, r)
}

// MetricsHandler serves the Prometheus metrics, for a listener of its own
// (metrics.listen); it is never mounted on the provider's own routes.
func (p *Provider) MetricsHandler() http.Handler { return p.Metrics.Handler() }

// AdminHandler serves the admin API alone, for a separate admin listener.
func (p *Provider) AdminHandler() http.Handler { return p.admin }

// Close stops background work: pending back-channel logout deliveries,
// and writes the queued audit events of refused clients.
func (p *Provider) Close() {
	p.notify.Close()
	p.authFailures.Close()
}

// authFailureQueue is how many client.auth_failed events may wait for the
// database; past it they are dropped (and counted in the log).
const authFailureQueue = 1024

// idTokenHints adapts the protocol's hint verifier to what the logout page
// needs.
type idTokenHints struct{ s *oauth.Server }

func (h idTokenHints) VerifyIDTokenHint(ctx context.Context, raw string) (subject, sessionID, clientID string, err error) {
	hint, err := h.s.VerifyIDTokenHint(ctx, raw)
	if err != nil {
		return "", "", "", err
	}
	return hint.Subject, hint.SessionID, hint.ClientID, nil
}
