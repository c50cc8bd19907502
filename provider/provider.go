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

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/audit"
	"github.com/ostiary/ostiary/provider/backchannel"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/health"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

// Provider is the assembled identity provider: one http.Handler.
type Provider struct {
	// Keys is the signing key manager, for the CLI and tests.
	Keys    *keys.Manager
	handler http.Handler
	// wellKnown maps the exact paths of the discovery documents and the
	// JWKS to their handler (the one the mux has for them too).
	wellKnown map[string]http.Handler
	// admin is the admin API, also mounted on handler unless
	// Config.AdminSeparate.
	admin http.Handler
	// routes are the mux's patterns, as mounted: tests cover every one.
	routes []string
	notify *backchannel.Notifier
	mailer *mail.Worker
	// background is the key rotation schedule and the janitor, when on.
	background []func(context.Context)
}

// New builds every handler from cfg and store and mounts them. It makes sure
// a signing key exists (generating the first on an empty database).
func New(ctx context.Context, cfg Config, store storage.Store, logger *slog.Logger) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	km, err := NewKeyManager(cfg, store, logger)
	if err != nil {
		return nil, err
	}
	if err := km.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}

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
		Now:           cfg.now,
	}
	guard, err := OutboundGuard(cfg)
	if err != nil {
		return nil, err
	}
	egress := outbound.NewClient(outbound.Config{Guard: guard})
	if !cfg.DisableDeviceCookies {
		limiter.DeviceKeys = secrets.Derive(cfg.Secrets, secrets.PurposeDeviceCookie, 32)
	}
	notify := &backchannel.Notifier{
		Clients: store,
		Tokens:  store,
		Signer:  km,
		Issuer:  cfg.Issuer,
		HTTP:    egress,
		Now:     cfg.now,
		Logger:  logger,
	}
	second, err := newSecondFactor(cfg, store)
	if err != nil {
		return nil, err
	}
	worker, selfServe, err := newMail(cfg, issuer, store, logger)
	if err != nil {
		return nil, err
	}
	auditLog := cfg.AuditLog
	if auditLog == nil {
		auditLog = logger
	}
	recorder := &audit.Recorder{Store: store, Log: auditLog}
	orgs := &accounts.Organizations{Store: store, Audit: recorder, Now: cfg.now}
	lifecycle := &accounts.People{Store: store, Audit: recorder, Notifier: notify, Now: cfg.now}
	upstreams, err := NewConnectorRegistry(cfg, store, logger)
	if err != nil {
		return nil, err
	}
	orgSSO := &orgsso.Service{Store: store, Audit: recorder, Orgs: orgs,
		Connectors: upstreams, Resolver: orgsso.NewResolver(cfg.DNSResolver), Now: cfg.now}
	pages, err := web.New(web.Pages{
		Orgs:       orgs,
		Accounts:   &accounts.Service{Store: store, Policy: cfg.passwordPolicy(), Now: cfg.now},
		Lifecycle:  lifecycle,
		Transactor: store,
		Store:      store,
		Sessions:   sessions,
		Throttle:   limiter,
		Audit:      recorder,
		Notifier:   notify,
		Mailer:     selfServe.Mail.Outbox,
		MFA:        second,
		Challenges: store,
		Issuer:     cfg.Issuer,
		Now:        cfg.now,
		Logger:     logger,
		Federation: &web.Federation{Connectors: upstreams, Store: store, Orgs: orgSSO},

		// web/selfservice's pages, as the login page links them.
		PasswordReset: true,
		Registration:  selfServe.RegistrationOpen(),
		LinkMail:      selfServe.Mail,
	})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	hmac := secrets.Derive(cfg.Secrets, secrets.PurposeTokenHMAC, 32)
	oa, err := oauth.New(oauth.Config{
		Issuer:                cfg.Issuer,
		HMACSecret:            hmac[0],
		RotatedHMACSecrets:    hmac[1:],
		AccessTokenLifespan:   cfg.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		IDTokenLifespan:       cfg.IDTokenLifespan,
		PATExchangeLifespan:   cfg.PATExchangeLifespan,
		RefreshGracePeriod:    cfg.RefreshGracePeriod,
		RefreshFamilyLifetime: cfg.RefreshFamilyLifetime,
		DefaultAudience:       cfg.DefaultAudience,
	}, oauth.Deps{Store: store, Keys: km, Browser: sessions, Pages: pages, HTTP: egress, Now: cfg.now, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	// The pages verify logout hints with the protocol's own signer.
	pages.Hints = idTokenHints{oa}

	// The signed-in user's pages (web/account).
	site, err := page.New(page.Config{Issuer: cfg.Issuer, Sessions: sessions, Users: store, Audit: recorder, Now: cfg.now, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	accountPages, err := account.New(account.Pages{Site: site, Store: store, Throttle: limiter, Notifier: notify,
		Policy: cfg.passwordPolicy(), Users: lifecycle, Requests: pages, Mailer: selfServe.Mail.Outbox, MFA: second,
		Identities: &account.Identities{Connectors: upstreams, Store: store, Transactor: store}})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	// Registration, verification, reset and invitations (web/selfservice).
	selfServe.Site, selfServe.Throttle, selfServe.Notifier, selfServe.Requests = site, limiter, notify, pages
	selfServe.Invitations, selfServe.Users, selfServe.Transactor = orgs, pages.Accounts, store
	selfService, err := selfservice.New(*selfServe)
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}

	meta := discovery.NewMetadata(cfg.Issuer)
	meta.AuthorizationResponseIssParameterSupported = true // oauth adds iss (RFC 9207)
	meta.PromptValuesSupported = []string{"none", "login", "consent", "select_account"}
	// Client changes made in this process reach the token endpoint's cache
	// at once.
	watched := clientWatch{Store: store, changed: oa.ClientChanged}
	registration := newClientRegistration(cfg, watched, recorder, proxies, &guard, logger)
	if registration != nil {
		meta.RegistrationEndpoint = strings.TrimSuffix(cfg.Issuer, "/") + dcr.PathRegister
	}
	disc := &discovery.Handler{Metadata: meta, Keys: km, MaxAge: cfg.JWKSMaxAge, Logger: logger}
	probes := &health.Handler{DB: store, Logger: logger}

	base := strings.TrimSuffix(issuer.Path, "/")
	// One service for the admin API and the admin pages' changes.
	adminOps := &adminapi.Service{Store: watched, People: lifecycle, Orgs: orgs, MFA: second, Keys: km,
		Audit: recorder, Notifier: notify, Connectors: upstreams, SSO: orgSSO, Now: cfg.now}
	admin := (&adminapi.Handler{
		Service: adminOps,
		Auth:    oa, Issuer: cfg.Issuer, Logger: logger, Base: base, Proxies: proxies,
	}).Handle()
	mux := http.NewServeMux()
	var routes []string
	handle := func(pattern string, h http.Handler) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		if method != "" {
			method += " "
		}
		mux.Handle(method+base+path, h)
		routes = append(routes, method+base+path)
	}
	// mountPages mounts a page area's route table on mux, listed in routes
	// (Mount adds the issuer's path).
	mountPages := func(site *page.Site, table []page.Route) {
		site.Mount(page.MuxFunc(func(pattern string, h http.Handler) {
			mux.Handle(pattern, h)
			routes = append(routes, pattern)
		}), table)
	}
	page := func(f http.HandlerFunc) http.Handler { return page.Headers(f) }

	if !cfg.AdminSeparate {
		handle(adminapi.BasePath+"/", admin)
	}
	handle("/healthz", http.HandlerFunc(probes.Live))
	handle("/readyz", http.HandlerFunc(probes.Ready))
	handle(discovery.PathOpenIDConfiguration, disc)
	handle(discovery.PathOAuthServerMetadata, disc)
	handle(discovery.PathJWKS, disc)

	handle(discovery.PathAuthorize, page(oa.Authorize))
	handle(oauth.PathResume, page(oa.ResumeAuthorize))
	handle(discovery.PathToken, http.HandlerFunc(oa.Token))
	handle(discovery.PathIntrospect, http.HandlerFunc(oa.Introspect))
	handle(discovery.PathRevoke, http.HandlerFunc(oa.Revoke))
	handle(discovery.PathUserinfo, http.HandlerFunc(oa.Userinfo))
	if registration != nil {
		handle(dcr.PathRegister, http.HandlerFunc(registration.Register))
		handle(dcr.PathRegister+"/{client_id}", http.HandlerFunc(registration.Configuration))
	}

	handle(oauth.PathLogin, page(pages.Login))
	handle(web.PathUpstreamCallback, page(pages.UpstreamCallback))
	handle(web.PathUpstreamLink, page(pages.UpstreamLink))
	handle(web.PathUpstreamLinkMail, page(pages.UpstreamLinkMail))
	handle(web.PathUpstreamCancel, page(pages.UpstreamCancel))
	handle(web.PathUpstreamStart, page(pages.UpstreamStart))
	handle(web.PathUpstreamLogoutDone, page(pages.UpstreamLogoutDone))
	handle(oauth.PathOrganization, page(pages.Organization))
	handle(oauth.PathConsent, page(pages.Consent))
	handle("/organizations", page(pages.Organizations))
	handle("/organizations/{id}", page(pages.OrganizationSettings))
	handle(web.PathSecondFactor, page(pages.SecondFactor))
	handle(discovery.PathLogout, page(pages.Logout))
	handle("/logout", page(pages.Logout))
	mountPages(site, accountPages.Routes())
	mountPages(site, selfService.Routes())
	adminPages := &web.Admin{Pages: pages, Store: store, Keys: km, Ops: adminOps}
	adminPages.Mount(func(pattern string, h http.HandlerFunc) { handle(pattern, page(h)) })
	handle("/static/", pages.Static())
	handle("/", page(func(w http.ResponseWriter, r *http.Request) {
		pages.RenderError(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}))

	wellKnown := map[string]http.Handler{}
	for _, path := range []string{discovery.PathOpenIDConfiguration, discovery.PathOAuthServerMetadata, discovery.PathJWKS} {
		wellKnown[base+path] = disc
	}
	// The reset form enqueues alike for every address; the worker decides.
	worker.Preparers = map[string]mail.Preparer{selfservice.PurposeResetPassword: selfService.PrepareReset}
	// Every request's text is checked once, before any handler
	// (textcheck): invalid UTF-8 or NUL never reaches the database.
	refuse := refuseText(base, pages, logger)
	return &Provider{Keys: km, handler: textcheck.Handler(mux, refuse), wellKnown: wellKnown,
		admin: textcheck.Handler(admin, refuse), routes: routes, notify: notify, mailer: worker,
		background: append(newBackground(cfg, km, store, recorder, logger), watchClients(store, oa)...)}, nil
}

// newMail builds the outbox worker and the configuration of registration,
// reset and invitations (web/selfservice), which New completes. Without
// SMTP, mails go to the log and, on a loopback issuer only, to the
// /dev/mail page.
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

// ServeHTTP serves every endpoint of the provider. GET and HEAD of the
// discovery documents and the JWKS, which every client and resource
// server polls, go straight to their handler: the mux would pick the same
// one for these exact, clean paths, after a pattern match that cost about a
// tenth of such a request.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if h, ok := p.wellKnown[r.URL.Path]; ok {
			h.ServeHTTP(w, r)
			return
		}
	}
	p.handler.ServeHTTP(w, r)
}

// AdminHandler serves the admin API alone, for a separate admin listener.
func (p *Provider) AdminHandler() http.Handler { return p.admin }

// Close stops background work: pending back-channel logout deliveries.
func (p *Provider) Close() {
	p.notify.Close()
}

// newSecondFactor builds the TOTP service; its secrets are sealed under a
// key of their own, derived from the system secret.
func newSecondFactor(cfg Config, store storage.Store) (*mfa.Service, error) {
	sealer, err := secrets.NewSealer(secrets.Derive(cfg.Secrets, secrets.PurposeTOTPSecret, secrets.SealKeySize))
	if err != nil {
		return nil, fmt.Errorf("second factor: %w", err)
	}
	label := "Ostiary"
	if u, err := url.Parse(cfg.Issuer); err == nil && u.Host != "" {
		label = u.Hostname()
	}
	return &mfa.Service{Store: store, Sealer: sealer, Issuer: label, Now: cfg.now}, nil
}

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

// NewConnectorRegistry is the file's connectors plus the run-time ones in
// store, their client secrets sealed under a key of their own; serve and the
// `connectors` commands must agree on it, so both come here.
func NewConnectorRegistry(cfg Config, store storage.ConnectorStore, logger *slog.Logger) (*connectors.Registry, error) {
	if _, err := connectors.NewSet(cfg.Connectors, connectors.Deps{}); err != nil {
		return nil, err
	}
	sealer, err := secrets.NewSealer(secrets.Derive(cfg.Secrets, secrets.PurposeConnectorSecret, secrets.SealKeySize))
	if err != nil {
		return nil, fmt.Errorf("connector secrets: %w", err)
	}
	upstream, err := upstreamClient(cfg)
	if err != nil {
		return nil, err
	}
	return &connectors.Registry{Static: cfg.Connectors, Store: store, Sealer: sealer,
		Deps: connectors.Deps{HTTPClient: upstream, Now: cfg.now}, Logger: logger}, nil
}
