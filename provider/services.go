package provider

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/audit"
	"github.com/ostiary/ostiary/provider/audit/forward"
	"github.com/ostiary/ostiary/provider/backchannel"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/janitor"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/provisioning"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/storage"
)

// Services is the domain layer, built once from the configuration and the
// store: serve's handlers (New) and every CLI command use the same one, so
// a change made with the CLI is audited, announced and checked exactly as
// the same change made over the admin API.
type Services struct {
	// Store is the database as given.
	Store storage.Store
	// Clients is Store with every client write also dropping the client
	// from this process's caches (clientwatch.go). Whatever changes
	// clients goes through it.
	Clients storage.Store
	// Audit stores each event and writes it as one line to Config.AuditLog
	// (else the logger).
	Audit *audit.Recorder
	// Keys signs tokens; New makes sure a key exists, the CLI's `keys`
	// commands do so themselves.
	Keys *keys.Manager
	// Guard is the address policy of requests to URLs others chose; HTTP
	// is the client that applies it.
	Guard outbound.Guard
	HTTP  *http.Client
	// Notifier announces ended sessions over the back channel; Close it
	// when done.
	Notifier *backchannel.Notifier
	MFA      *mfa.Service
	// Passkeys is the people's WebAuthn credentials.
	Passkeys   *passkey.Service
	Orgs       *accounts.Organizations
	Users      *accounts.Users
	Connectors *connectors.Registry
	SSO        *orgsso.Service
	// Tokens is the users' personal access tokens.
	Tokens *pat.Service
	// Provisioning is the organizations' SCIM provisioning.
	Provisioning *provisioning.Service
	// Admin is the admin API's operations, for the API, the admin pages
	// and the CLI.
	Admin *adminapi.Service
	// Janitor sweeps expired rows: every Janitor.Interval in serve, once
	// with `ostiary janitor run`.
	Janitor *janitor.Janitor
	// Forward delivers the audit forwarding outbox in serve; nil without
	// sinks.
	Forward *forward.Worker

	caches *clientCaches
}

// NewServices validates cfg and builds the domain layer over store.
func NewServices(cfg Config, store storage.Store, logger *slog.Logger) (*Services, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	km, err := newKeyManager(cfg, store, logger)
	if err != nil {
		return nil, err
	}
	guard, err := OutboundGuard(cfg)
	if err != nil {
		return nil, err
	}
	egress, err := outboundClient(cfg, guard, cfg.OutboundLimits.Timeout)
	if err != nil {
		return nil, err
	}
	b := cfg.Backchannel
	notify := &backchannel.Notifier{
		Clients:        store,
		Tokens:         store,
		Signer:         km,
		Issuer:         cfg.Issuer,
		HTTP:           egress,
		Now:            cfg.now,
		Logger:         logger,
		MaxAttempts:    b.MaxAttempts,
		Backoff:        b.Backoff,
		AttemptTimeout: b.AttemptTimeout,
	}
	second, err := newSecondFactor(cfg, store)
	if err != nil {
		return nil, err
	}
	auditLog := cfg.AuditLog
	if auditLog == nil {
		auditLog = logger
	}
	auditStore, forwarder := newAuditForwarding(cfg, store, egress, logger)
	recorder := &audit.Recorder{Store: auditStore, Log: auditLog}
	attrs, err := cfg.Attributes.Policy()
	if err != nil {
		return nil, err
	}
	orgs := &accounts.Organizations{Store: store, Audit: recorder, Attributes: attrs, Now: cfg.now}
	users := &accounts.Users{Store: store, Policy: cfg.passwordPolicy(), Audit: recorder, Notifier: notify, Attributes: attrs, Now: cfg.now}
	upstreams, err := newConnectorRegistry(cfg, guard, store, logger)
	if err != nil {
		return nil, err
	}
	tokens := &pat.Service{Store: store, Audit: recorder, Now: cfg.now}
	sso := &orgsso.Service{Store: store, Audit: recorder, Orgs: orgs,
		Connectors: upstreams, Resolver: orgsso.NewResolver(cfg.DNSResolver), Now: cfg.now}
	caches := &clientCaches{}
	watched := clientWatch{Store: store, caches: caches}
	passkeys := newPasskeys(cfg, store, recorder, logger)
	return &Services{
		Store:        store,
		Clients:      watched,
		Audit:        recorder,
		Keys:         km,
		Guard:        guard,
		HTTP:         egress,
		Notifier:     notify,
		MFA:          second,
		Passkeys:     passkeys,
		Orgs:         orgs,
		Users:        users,
		Connectors:   upstreams,
		SSO:          sso,
		Tokens:       tokens,
		Provisioning: &provisioning.Service{Store: store, Users: users, Orgs: orgs, Audit: recorder, Now: cfg.now},
		Admin: &adminapi.Service{Store: watched, Users: users, Orgs: orgs, MFA: second, Keys: km, SigningAlgorithms: km.SigningAlgorithms(),
			Audit: recorder, Notifier: notify, Connectors: upstreams, SSO: sso, Tokens: tokens, Passkeys: passkeys, Now: cfg.now},
		Janitor: newJanitor(cfg, store, logger),
		Forward: forwarder,
		caches:  caches,
	}, nil
}

// onClientChange has every client write through Clients also call f with
// the client's id (a cache to drop it from).
func (s *Services) onClientChange(f func(id string)) {
	s.caches.forget = append(s.caches.forget, f)
}

// Close stops pending back-channel logout deliveries.
func (s *Services) Close() { s.Notifier.Close() }

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

// newPasskeys is the passkey service, its relying party the issuer's host
// (passkey.NewRelyingParty); an issuer on an IP address has no ceremonies,
// since browsers refuse an IP address as a relying party id.
func newPasskeys(cfg Config, store storage.Store, recorder *audit.Recorder, logger *slog.Logger) *passkey.Service {
	s := &passkey.Service{Store: store, Audit: recorder, Users: store, Now: cfg.now}
	rp, err := passkey.NewRelyingParty(cfg.Issuer)
	if err != nil {
		logger.Info("passkeys are off", "reason", err)
		return s
	}
	s.RP = rp
	return s
}

// newConnectorRegistry is the file's connectors plus the run-time ones in
// store, their client secrets sealed under a key of their own.
func newConnectorRegistry(cfg Config, guard outbound.Guard, store storage.Store, logger *slog.Logger) (*connectors.Registry, error) {
	if _, err := connectors.NewSet(cfg.Connectors, connectors.Deps{Issuer: cfg.Issuer}); err != nil {
		return nil, err
	}
	sealer, err := secrets.NewSealer(secrets.Derive(cfg.Secrets, secrets.PurposeConnectorSecret, secrets.SealKeySize))
	if err != nil {
		return nil, fmt.Errorf("connector secrets: %w", err)
	}
	upstream, err := upstreamClient(cfg, guard)
	if err != nil {
		return nil, err
	}
	return &connectors.Registry{Static: cfg.Connectors, Store: store, Sealer: sealer,
		Deps: connectors.Deps{HTTPClient: upstream, Now: cfg.now, Issuer: cfg.Issuer, SAMLAssertions: store}, Logger: logger}, nil
}
