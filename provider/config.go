package provider

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/audit/forward"
	"github.com/ostiary/ostiary/provider/backchannel"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/janitor"
	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/provider/throttle"

	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/secrets"
)

// Config is everything the provider needs, validated by cmd/ostiary.
type Config struct {
	Issuer string
	// Attributes are the rules of users', organizations' and memberships'
	// attributes: the keys a person may edit, the JSON Schemas.
	Attributes AttributesConfig
	// Secrets are the system secrets, current first; every purpose key is
	// derived from them.
	Secrets [][]byte

	AccessTokenLifespan   time.Duration
	RefreshTokenLifespan  time.Duration
	RefreshFamilyLifetime time.Duration
	RefreshGracePeriod    time.Duration
	AuthorizeCodeLifespan time.Duration
	IDTokenLifespan       time.Duration
	// PATExchangeLifespan is how long an access token exchanged for a
	// personal access token lives.
	PATExchangeLifespan time.Duration
	// AuthRequestLifespan is how long an authorization request waits for
	// the sign-in pages.
	AuthRequestLifespan time.Duration
	// DeviceCodeLifespan is how long a device authorization (RFC 8628)
	// waits for its user; DevicePollInterval is the least time between the
	// device's polls (whole seconds).
	DeviceCodeLifespan time.Duration
	DevicePollInterval time.Duration
	// PushedRequestLifespan is how long a pushed authorization request
	// (RFC 9126) waits to be used; RequirePushedAuthorizationRequests makes
	// every client push first.
	PushedRequestLifespan              time.Duration
	RequirePushedAuthorizationRequests bool
	// DefaultAudience is the aud of access tokens that name no resource,
	// for clients without registered audiences; empty is the issuer URL.
	DefaultAudience string
	// DPoPNonces makes DPoP proofs carry a server nonce (RFC 9449 §8).
	DPoPNonces bool

	RSABits int
	// SigningAlgorithms are the algorithms the key set keeps a signing key
	// for (keys.Supported; RS256 always among them), which clients may
	// register for their ID tokens; AccessTokenAlg signs access tokens and
	// must be one of them.
	SigningAlgorithms []string
	AccessTokenAlg    string
	// JWKSMaxAge is the JWKS Cache-Control max-age; PrePublication how long a
	// new key is published before it signs (0: JWKSMaxAge).
	JWKSMaxAge     time.Duration
	PrePublication time.Duration
	// RotationInterval rotates the signing key when the newest is that
	// old; 0 turns the schedule off. KeyRefreshInterval is how often each
	// process re-reads the key set.
	RotationInterval   time.Duration
	KeyRefreshInterval time.Duration

	// Janitor sweeps expired rows; see provider/janitor.
	Janitor JanitorConfig

	SessionLifetime    time.Duration
	SessionIdleTimeout time.Duration

	MaxFailuresPerAccount int
	MaxFailuresPerIP      int
	FailureWindow         time.Duration
	// MaxFailuresPerDevice is a browser's own failure budget per
	// FailureWindow, once it holds a device cookie.
	MaxFailuresPerDevice int
	// DisableDeviceCookies turns off the login throttle's device cookies:
	// every browser then shares the account's failure budget.
	DisableDeviceCookies bool

	// Backchannel is how back-channel logout deliveries are retried.
	Backchannel BackchannelConfig

	// Tracing, when set, traces every request, database statement and
	// outbound call with it (provider/tracing); nil is tracing off, and then
	// nothing is wrapped. The store is opened with it by the caller.
	Tracing trace.TracerProvider
	// AuditForwarding sends audit events to syslog servers and webhooks.
	AuditForwarding AuditForwardingConfig

	// AuditLog receives every audit event as one structured line (cmd/
	// gives it the handler of log.format, at every level); nil: the
	// provider's logger.
	AuditLog *slog.Logger
	// AccessLog receives one line per request (provider/httpobs); nil
	// writes no access log.
	AccessLog *slog.Logger

	// Registration turns /register on; InviteOnly makes it say that
	// accounts come by invitation.
	Registration          bool
	InviteOnly            bool
	VerifyEmailLifetime   time.Duration
	ResetPasswordLifetime time.Duration
	PasswordMinLength     int

	Mail MailConfig

	// ClientRegistration is dynamic client registration (RFC 7591/7592);
	// off unless Enabled.
	ClientRegistration ClientRegistrationConfig

	// TrustedProxies are the reverse proxies and load balancers (CIDRs or
	// single addresses) whose X-Forwarded-For names the client; empty:
	// the connection's peer is the client. See provider/clientip.
	TrustedProxies []string

	// AdminSeparate keeps the admin API off the main handler: it is then
	// served only by AdminHandler, on its own listener (admin.listen).
	AdminSeparate bool
	// Connectors are the upstream identity providers users may sign in
	// with; UpstreamHTTP talks to them (nil: a client with a timeout).
	Connectors   []connectors.Config
	UpstreamHTTP *http.Client
	// OutboundAllow are the CIDRs or addresses of otherwise refused ranges
	// (loopback, private, link-local, ...) that requests to URLs others
	// chose may reach: jwks_uri, back-channel logout URIs, upstream
	// providers. nil: none, except loopback on a loopback issuer
	// (OutboundGuard); an empty list: none at all.
	OutboundAllow []string
	// OutboundLimits bound each of those requests.
	OutboundLimits OutboundLimits
	// DNSResolver (host:port) answers the TXT lookups that prove an
	// organization's domain; empty is the system resolver.
	DNSResolver string

	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// MailConfig is the outbox and how it is sent.
type MailConfig struct {
	// From is the sender of every mail.
	From string
	// SMTP sends the mail; nil is development mode: mails are written to
	// the log and listed at /dev/mail (only on a loopback issuer).
	SMTP *mail.SMTP
	// Worker settings; the worker refuses zero ones.
	MaxAttempts          int
	RetryBackoff         time.Duration
	MaxBackoff           time.Duration
	Lease                time.Duration
	PollInterval         time.Duration
	MaxPerAddressPerHour int
}

// OutboundLimits bound a request to a URL others chose (provider/outbound):
// Timeout a jwks_uri fetch or back-channel logout POST, UpstreamTimeout a
// request to an upstream identity provider.
type OutboundLimits struct {
	Timeout, UpstreamTimeout time.Duration
	MaxBodyBytes             int64
	MaxRedirects             int
}

// BackchannelConfig bounds the back-channel logout deliveries of ended
// sessions; the notifier refuses zero values.
type BackchannelConfig struct {
	MaxAttempts    int
	Backoff        time.Duration
	AttemptTimeout time.Duration
}

// DefaultConfig is the configuration the ostiary binary runs with when its
// file says nothing: cmd/ostiary decodes the file over it, and tests start
// from it, so every lifetime has one value, the production one. The
// libraries take no defaults of their own: a zero duration they need is an
// error. Issuer and Secrets have no default.
func DefaultConfig() Config {
	return Config{
		// The protocol's lifespans are named in oauth, whose tests run
		// with them too.
		AccessTokenLifespan:   oauth.DefaultAccessTokenLifespan,
		RefreshTokenLifespan:  oauth.DefaultRefreshTokenLifespan,
		RefreshFamilyLifetime: 90 * 24 * time.Hour,
		AuthorizeCodeLifespan: oauth.DefaultAuthorizeCodeLifespan,
		IDTokenLifespan:       oauth.DefaultIDTokenLifespan,
		AuthRequestLifespan:   oauth.DefaultAuthRequestLifespan,
		PATExchangeLifespan:   oauth.DefaultPATExchangeLifespan,
		DeviceCodeLifespan:    oauth.DefaultDeviceCodeLifespan,
		DevicePollInterval:    oauth.DefaultDevicePollInterval,
		PushedRequestLifespan: oauth.DefaultPushedRequestLifespan,

		RSABits:            keys.DefaultBits,
		SigningAlgorithms:  []string{keys.AlgRS256},
		AccessTokenAlg:     keys.AlgRS256,
		JWKSMaxAge:         15 * time.Minute,
		RotationInterval:   90 * 24 * time.Hour,
		KeyRefreshInterval: 30 * time.Second,
		Janitor: JanitorConfig{Interval: janitor.DefaultInterval, BatchSize: janitor.DefaultBatchSize,
			SentMailRetention: janitor.DefaultSentMailRetention, FailedMailRetention: janitor.DefaultFailedMailRetention,
			Pause: janitor.DefaultPause, Lease: janitor.DefaultLease, ForwardedAuditRetention: janitor.DefaultForwardedAuditRetention},
		AuditForwarding: defaultAuditForwarding(),

		SessionLifetime:    browser.DefaultLifetime,
		SessionIdleTimeout: 24 * time.Hour,

		MaxFailuresPerAccount: throttle.DefaultAccountLimit,
		MaxFailuresPerIP:      throttle.DefaultIPLimit,
		FailureWindow:         throttle.DefaultAccountWindow,
		MaxFailuresPerDevice:  throttle.DefaultDeviceLimit,

		OutboundLimits: OutboundLimits{Timeout: outbound.DefaultTimeout, UpstreamTimeout: 15 * time.Second,
			MaxBodyBytes: outbound.DefaultMaxBodyBytes, MaxRedirects: outbound.DefaultMaxRedirects},
		Backchannel: BackchannelConfig{MaxAttempts: backchannel.DefaultMaxAttempts, Backoff: backchannel.DefaultBackoff,
			AttemptTimeout: backchannel.DefaultAttemptTimeout},

		Registration:          true,
		VerifyEmailLifetime:   24 * time.Hour,
		ResetPasswordLifetime: time.Hour,
		PasswordMinLength:     12,
		Mail: MailConfig{From: "Ostiary <noreply@localhost>", MaxAttempts: mail.DefaultMaxAttempts,
			RetryBackoff: mail.DefaultBackoff, MaxBackoff: mail.DefaultMaxBackoff, Lease: mail.DefaultLease,
			PollInterval: mail.DefaultPollInterval, MaxPerAddressPerHour: 5},
		ClientRegistration: ClientRegistrationConfig{Mode: dcr.ModeInitialAccessToken, OpenPerIPPerHour: dcr.DefaultOpenPerIPPerHour},
	}
}

// passwordPolicy is the one policy every page that sets a password applies.
func (c Config) passwordPolicy() accounts.Policy {
	return accounts.Policy{MinLength: c.PasswordMinLength}
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Config) validate() error {
	var errs []error
	if err := discovery.CheckIssuer(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("issuer: %w", err))
	}
	if len(c.Secrets) == 0 {
		errs = append(errs, errors.New("secrets: at least one required"))
	}
	for i, s := range c.Secrets {
		if len(s) < secrets.MinSecretLength {
			errs = append(errs, fmt.Errorf("secrets[%d]: shorter than %d bytes", i, secrets.MinSecretLength))
		}
	}
	if _, err := clientip.New(c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if _, err := OutboundGuard(c); err != nil {
		errs = append(errs, err)
	}
	if err := c.checkAlgorithms(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, forward.Validate("audit forwarding sinks", c.AuditForwarding.Sinks)...)
	return errors.Join(errs...)
}

// checkAlgorithms: the signing algorithms are known, include RS256 (OpenID
// Connect Core §15.1), and include the access token's.
func (c Config) checkAlgorithms() error {
	for _, alg := range c.SigningAlgorithms {
		if !keys.IsSupported(alg) {
			return fmt.Errorf("signing algorithms: %q is not one of %v", alg, keys.Supported)
		}
	}
	if !slices.Contains(c.SigningAlgorithms, keys.AlgRS256) {
		return fmt.Errorf("signing algorithms: %v must include RS256 (OpenID Connect Core §15.1)", c.SigningAlgorithms)
	}
	if c.AccessTokenAlg != "" && !slices.Contains(c.SigningAlgorithms, c.AccessTokenAlg) {
		return fmt.Errorf("access token alg: %q is not among the signing algorithms %v", c.AccessTokenAlg, c.SigningAlgorithms)
	}
	return nil
}

// signingAlgorithms are SigningAlgorithms in keys.Supported's order (RS256
// first), each once.
func (c Config) signingAlgorithms() []string {
	var out []string
	for _, alg := range keys.Supported {
		if slices.Contains(c.SigningAlgorithms, alg) {
			out = append(out, alg)
		}
	}
	return out
}

// longestTokenLifetime is how long a retired signing key must stay
// published: every JWT it signed has expired by then.
func (c Config) longestTokenLifetime() time.Duration {
	return max(c.AccessTokenLifespan, c.IDTokenLifespan, c.PATExchangeLifespan, time.Hour)
}

// newKeyManager builds the signing key manager over store, its keys
// sealed under a key derived from the system secret.
func newKeyManager(c Config, store keys.KeyStore, logger *slog.Logger) (*keys.Manager, error) {
	sealer, err := secrets.NewSealer(secrets.Derive(c.Secrets, secrets.PurposeKeyEncryption, secrets.SealKeySize))
	if err != nil {
		return nil, fmt.Errorf("signing key sealer: %w", err)
	}
	return &keys.Manager{
		Store:      store,
		Sealer:     sealer,
		Bits:       c.RSABits,
		Algorithms: c.signingAlgorithms(),
		PrePublish: c.PrePublication,
		// Per-client lifespans may exceed the global ones; a day on top of
		// the longest global lifetime covers any sane override.
		Retention:       c.longestTokenLifetime() + 24*time.Hour,
		JWKSMaxAge:      c.JWKSMaxAge,
		RefreshInterval: c.KeyRefreshInterval,
		Now:             c.now,
		Logger:          logger,
	}, nil
}

// AttributesConfig is the instance's attribute rules (provider/attributes).
type AttributesConfig struct {
	// Editable lists the top-level keys of their own attributes a person
	// may change on the account page; none by default.
	Editable []string
	// UserSchema, OrgSchema and MembershipSchema are JSON Schema documents
	// (the files' contents; cmd/ostiary reads them) every write of that
	// kind's attributes must match; nil: none.
	UserSchema, OrgSchema, MembershipSchema []byte
}

// Policy compiles the rules.
func (a AttributesConfig) Policy() (*attributes.Policy, error) {
	return attributes.NewPolicy(a.Editable, map[attributes.Kind][]byte{
		attributes.User: a.UserSchema, attributes.Org: a.OrgSchema, attributes.Membership: a.MembershipSchema,
	})
}
