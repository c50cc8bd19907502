package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/keys"
)

// Config is the file format of --config, every key with its default in
// config.example.yaml. Only this package reads files and the environment;
// the provider gets a validated provider.Config built from it.
type Config struct {
	Issuer   string `yaml:"issuer"`
	Listen   string `yaml:"listen"`
	Database string `yaml:"database"`
	DataDir  string `yaml:"data_dir"`
	// MigrateOnStart makes serve apply pending migrations before it listens.
	MigrateOnStart bool `yaml:"migrate_on_start"`
	// BootstrapAdmin makes the first start of an empty database create an
	// administrator with a random password, printed once.
	BootstrapAdmin bool `yaml:"bootstrap_admin"`

	Secrets struct {
		System []string `yaml:"system"`
	} `yaml:"secrets"`

	// Attributes: editable keys and schema files (config_attributes.go).
	Attributes attributesConfig `yaml:"attributes"`

	Server struct {
		// TrustedProxies are the reverse proxies whose X-Forwarded-For
		// names the client (config_proxy.go).
		TrustedProxies []string `yaml:"trusted_proxies"`
	} `yaml:"server"`

	// Outbound says which otherwise refused addresses requests to URLs
	// others chose may reach (config_outbound.go).
	Outbound struct {
		Allow []string `yaml:"allow"`
	} `yaml:"outbound"`

	// Admin.Listen, when set, serves the admin API only on this address.
	Admin struct {
		Listen string `yaml:"listen"`
	} `yaml:"admin"`

	// Metrics.Listen, when set, serves /metrics on this address only
	// (config_metrics.go); empty serves no metrics.
	Metrics struct {
		Listen string `yaml:"listen"`
	} `yaml:"metrics"`

	Tokens struct {
		AccessTokenLifespan   time.Duration `yaml:"access_token_lifespan"`
		RefreshTokenLifespan  time.Duration `yaml:"refresh_token_lifespan"`
		RefreshFamilyLifetime time.Duration `yaml:"refresh_family_lifetime"`
		RefreshGracePeriod    time.Duration `yaml:"refresh_grace_period"`
		AuthorizeCodeLifespan time.Duration `yaml:"authorize_code_lifespan"`
		IDTokenLifespan       time.Duration `yaml:"id_token_lifespan"`
		PATExchangeLifespan   time.Duration `yaml:"pat_exchange_lifespan"`
		DeviceCodeLifespan    time.Duration `yaml:"device_code_lifespan"`
		DevicePollInterval    time.Duration `yaml:"device_poll_interval"`
		DefaultAudience       string        `yaml:"default_audience"`
		// AccessTokenAlg: RS256 (default), ES256 or EdDSA; one of
		// keys.algorithms.
		AccessTokenAlg string `yaml:"access_token_alg"`
		// DPoPNonces: DPoP proofs must carry a server nonce (RFC 9449 §8).
		DPoPNonces bool `yaml:"dpop_nonces"`
	} `yaml:"tokens"`

	// OAuth holds protocol switches that are not token lifetimes.
	OAuth struct {
		// RequirePushedAuthorizationRequests makes every client push its
		// authorization requests first (RFC 9126 §5).
		RequirePushedAuthorizationRequests bool          `yaml:"require_pushed_authorization_requests"`
		PushedRequestLifespan              time.Duration `yaml:"pushed_request_lifespan"`
	} `yaml:"oauth"`

	Keys struct {
		RSABits int `yaml:"rsa_bits"`
		// Algorithms: the signing algorithms kept in the key set (RS256,
		// ES256, EdDSA); RS256 always among them.
		Algorithms     []string      `yaml:"algorithms"`
		JWKSMaxAge     time.Duration `yaml:"jwks_max_age"`
		PrePublication time.Duration `yaml:"pre_publication"`
		// RotationInterval: 0 turns scheduled rotation off.
		RotationInterval time.Duration `yaml:"rotation_interval"`
		RefreshInterval  time.Duration `yaml:"refresh_interval"`
	} `yaml:"keys"`

	Janitor struct {
		// Interval: 0 runs no janitor in serve (use `ostiary janitor run`).
		Interval            time.Duration `yaml:"interval"`
		BatchSize           int           `yaml:"batch_size"`
		SentMailRetention   time.Duration `yaml:"sent_mail_retention"`
		FailedMailRetention time.Duration `yaml:"failed_mail_retention"`
		// AuditRetention: 0 keeps audit events forever.
		AuditRetention time.Duration `yaml:"audit_retention"`
		// ForwardedAuditRetention: 0 keeps delivered forwarding rows.
		ForwardedAuditRetention time.Duration `yaml:"forwarded_audit_retention"`
	} `yaml:"janitor"`

	// AuditForwarding sends audit events to syslog servers and webhook
	// receivers (config_audit.go).
	AuditForwarding auditForwarding `yaml:"audit_forwarding"`

	Sessions struct {
		Lifetime    time.Duration `yaml:"lifetime"`
		IdleTimeout time.Duration `yaml:"idle_timeout"`
	} `yaml:"sessions"`

	Login struct {
		MaxFailuresPerAccount int           `yaml:"max_failures_per_account"`
		MaxFailuresPerIP      int           `yaml:"max_failures_per_ip"`
		FailureWindow         time.Duration `yaml:"failure_window"`
		// DeviceCookies gives a browser that signed in before its own
		// failure budget (README "The sign-in flow").
		DeviceCookies bool `yaml:"device_cookies"`
	} `yaml:"login"`

	Registration struct {
		Enabled bool `yaml:"enabled"`
		// Mode is open or invite_only.
		Mode                string        `yaml:"mode"`
		VerifyEmailLifetime time.Duration `yaml:"verify_email_lifetime"`
	} `yaml:"registration"`

	Passwords struct {
		MinLength     int           `yaml:"min_length"`
		ResetLifetime time.Duration `yaml:"reset_lifetime"`
	} `yaml:"passwords"`

	Mail struct {
		From string `yaml:"from"`
		// SMTP with an empty host is development mode: mails are written
		// to the log and listed at /dev/mail.
		SMTP struct {
			Host     string        `yaml:"host"`
			Port     int           `yaml:"port"`
			TLS      string        `yaml:"tls"`
			Username string        `yaml:"username"`
			Password string        `yaml:"password"`
			Timeout  time.Duration `yaml:"timeout"`
		} `yaml:"smtp"`
		MaxAttempts          int           `yaml:"max_attempts"`
		RetryBackoff         time.Duration `yaml:"retry_backoff"`
		MaxBackoff           time.Duration `yaml:"max_backoff"`
		Lease                time.Duration `yaml:"lease"`
		PollInterval         time.Duration `yaml:"poll_interval"`
		MaxPerAddressPerHour int           `yaml:"max_per_address_per_hour"`
	} `yaml:"mail"`

	// DCR is dynamic client registration (RFC 7591/7592).
	DCR struct {
		Enabled bool `yaml:"enabled"`
		// Mode is open or initial_access_token.
		Mode string `yaml:"mode"`
		// OpenPerIPPerHour caps open registrations per client address.
		OpenPerIPPerHour int `yaml:"open_registrations_per_ip_per_hour"`
	} `yaml:"dcr"`
	Log struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
		// Access writes one line per request (provider/httpobs).
		Access bool `yaml:"access"`
	} `yaml:"log"`

	// Tracing is OpenTelemetry tracing (config_tracing.go).
	Tracing TracingConfig `yaml:"tracing"`

	// Connectors are the upstream identity providers (config_sso.go).
	Connectors []connectors.Config `yaml:"connectors"`
	SSO        struct {
		// DNSResolver answers the TXT lookups proving organizations'
		// domains; empty is the system resolver.
		DNSResolver string `yaml:"dns_resolver"`
	} `yaml:"sso"`
}

// defaultConfig is what an empty file means; config.example.yaml repeats
// it. Whatever the provider takes comes from provider.DefaultConfig; the
// rest (where to listen, the database, SMTP, logging) is the binary's own.
func defaultConfig() Config {
	var c Config
	c.Issuer = "http://localhost:8080"
	c.Listen = "127.0.0.1:8080"
	c.Database = "sqlite:./ostiary-data/ostiary.db"
	c.DataDir = "./ostiary-data"
	c.MigrateOnStart = true
	c.BootstrapAdmin = true
	c.Mail.SMTP.Port = 587
	c.Mail.SMTP.TLS = "starttls"
	c.Mail.SMTP.Timeout = 30 * time.Second
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.Tracing.SampleRatio = 1
	c.Log.Access = true

	p := provider.DefaultConfig()
	for _, l := range links(&c, &p) {
		l.toFile()
	}
	c.Login.DeviceCookies = !p.DisableDeviceCookies
	c.Registration.Mode = "open"
	if p.InviteOnly {
		c.Registration.Mode = "invite_only"
	}
	c.DCR.Mode = string(p.ClientRegistration.Mode)
	return c
}

// envOverrides are the OSTIARY_* variables, applied after the file.
var envOverrides = []struct {
	name string
	set  func(c *Config, v string)
}{
	{"OSTIARY_ISSUER", func(c *Config, v string) { c.Issuer = v }},
	{"OSTIARY_LISTEN", func(c *Config, v string) { c.Listen = v }},
	{"OSTIARY_DATABASE", func(c *Config, v string) { c.Database = v }},
	{"OSTIARY_DATA_DIR", func(c *Config, v string) { c.DataDir = v }},
	{"OSTIARY_ADMIN_LISTEN", func(c *Config, v string) { c.Admin.Listen = v }},
	{"OSTIARY_METRICS_LISTEN", func(c *Config, v string) { c.Metrics.Listen = v }},
	// true or false (strconv.ParseBool); anything else leaves log.access as it is.
	{"OSTIARY_LOG_ACCESS", func(c *Config, v string) {
		if b, err := strconv.ParseBool(v); err == nil {
			c.Log.Access = b
		}
	}},
	// Comma-separated, like the secrets; spaces around entries are ignored.
	{"OSTIARY_SERVER_TRUSTED_PROXIES", func(c *Config, v string) { c.Server.TrustedProxies = splitList(v) }},
	{"OSTIARY_OUTBOUND_ALLOW", func(c *Config, v string) { c.Outbound.Allow = outboundAllowEnv(v) }},
	// Several secrets are separated by commas; the first is current.
	{"OSTIARY_SECRETS_SYSTEM", func(c *Config, v string) { c.Secrets.System = strings.Split(v, ",") }},
	{"OSTIARY_LOG_LEVEL", func(c *Config, v string) { c.Log.Level = v }},
	{"OSTIARY_LOG_FORMAT", func(c *Config, v string) { c.Log.Format = v }},
	// Where spans go is the exporter's own OTEL_EXPORTER_OTLP_* variables.
	{"OSTIARY_TRACING_ENABLED", func(c *Config, v string) { c.Tracing.setEnabled(v) }},
	{"OSTIARY_MAIL_SMTP_HOST", func(c *Config, v string) { c.Mail.SMTP.Host = v }},
	{"OSTIARY_MAIL_SMTP_USERNAME", func(c *Config, v string) { c.Mail.SMTP.Username = v }},
	// The SMTP password is a secret: better in the environment than the file.
	{"OSTIARY_MAIL_SMTP_PASSWORD", func(c *Config, v string) { c.Mail.SMTP.Password = v }},
}

// loadConfig reads the file at path (none: defaults only), applies the
// environment and validates. Every problem, of parsing or of values, comes
// back in one error.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	c := defaultConfig()
	var errs []error
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				return c, fmt.Errorf("config %s: %w", path, err)
			}
			// yaml.v3 keeps decoding past unknown keys and bad values and
			// lists them all here.
			for _, e := range te.Errors {
				errs = append(errs, fmt.Errorf("config %s: %s", path, e))
			}
		}
	}
	for _, o := range envOverrides {
		if v := getenv(o.name); v != "" {
			o.set(&c, v)
		}
	}
	if len(c.Secrets.System) == 0 {
		c.Secrets.System = nil // "system: []" and no key mean the same
	}
	if len(c.Server.TrustedProxies) == 0 {
		c.Server.TrustedProxies = nil
	}
	c.resolveAuditSinks(getenv)
	c.resolveAttributes()
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Validate reports every problem at once, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if err := discovery.CheckIssuer(c.Issuer); err != nil {
		bad("issuer", "%v", err)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port", c.Listen)
	}
	switch kind, rest := databaseKind(c.Database); kind {
	case "sqlite":
		if rest == "" {
			bad("database", "sqlite: needs a path, e.g. sqlite:./ostiary-data/ostiary.db")
		}
	case "postgres":
		if len(c.Secrets.System) == 0 {
			bad("secrets.system", "required with PostgreSQL: every replica must share the same secret")
		}
	default:
		bad("database", "%q must be sqlite:PATH or postgres://...", c.Database)
	}
	if c.DataDir == "" {
		bad("data_dir", "required")
	}
	for i, s := range c.Secrets.System {
		if len(s) < 32 {
			bad(fmt.Sprintf("secrets.system[%d]", i), "must be at least 32 bytes, has %d", len(s))
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"tokens.access_token_lifespan", c.Tokens.AccessTokenLifespan},
		{"tokens.refresh_token_lifespan", c.Tokens.RefreshTokenLifespan},
		{"tokens.authorize_code_lifespan", c.Tokens.AuthorizeCodeLifespan},
		{"tokens.id_token_lifespan", c.Tokens.IDTokenLifespan},
		{"tokens.pat_exchange_lifespan", c.Tokens.PATExchangeLifespan},
		{"tokens.device_code_lifespan", c.Tokens.DeviceCodeLifespan},
		{"tokens.device_poll_interval", c.Tokens.DevicePollInterval},
		{"keys.jwks_max_age", c.Keys.JWKSMaxAge},
		{"sessions.lifetime", c.Sessions.Lifetime},
		{"sessions.idle_timeout", c.Sessions.IdleTimeout},
		{"login.failure_window", c.Login.FailureWindow},
	} {
		if d.v <= 0 {
			bad(d.key, "must be a positive duration such as 15m")
		}
	}
	if c.Tokens.AuthorizeCodeLifespan > 10*time.Minute {
		bad("tokens.authorize_code_lifespan", "at most 10m (RFC 6749 §4.1.2)")
	}
	if c.Tokens.RefreshFamilyLifetime < 0 {
		bad("tokens.refresh_family_lifetime", "must not be negative (0 means no limit)")
	}
	if c.Tokens.DevicePollInterval%time.Second != 0 {
		bad("tokens.device_poll_interval", "must be whole seconds (RFC 8628 §3.2), such as 5s")
	}
	if l := c.OAuth.PushedRequestLifespan; l < 10*time.Second || l > 10*time.Minute {
		bad("oauth.pushed_request_lifespan", "between 10s and 10m: the client sends the browser on at once (RFC 9126 §2.2)")
	}
	if c.Tokens.PATExchangeLifespan > 24*time.Hour {
		bad("tokens.pat_exchange_lifespan", "at most 24h: a script exchanges its personal access token again")
	}
	if strings.ContainsAny(c.Tokens.DefaultAudience, " \t\r\n") {
		bad("tokens.default_audience", "must be one audience, without spaces")
	}
	if c.Tokens.RefreshGracePeriod < 0 || c.Tokens.RefreshGracePeriod > time.Minute {
		bad("tokens.refresh_grace_period", "must be between 0 (off) and 1m")
	}
	if c.Keys.PrePublication < 0 {
		bad("keys.pre_publication", "must not be negative (0 means keys.jwks_max_age)")
	}
	switch c.Keys.RSABits {
	case 2048, 3072, 4096:
	default:
		bad("keys.rsa_bits", "must be 2048, 3072 or 4096, not %d", c.Keys.RSABits)
	}
	for _, alg := range c.Keys.Algorithms {
		if !keys.IsSupported(alg) {
			bad("keys.algorithms", "%q is not one of %s", alg, strings.Join(keys.Supported, ", "))
		}
	}
	if !slices.Contains(c.Keys.Algorithms, keys.AlgRS256) {
		bad("keys.algorithms", "must include RS256 (OpenID Connect Core §15.1 requires it)")
	}
	if !slices.Contains(c.Keys.Algorithms, c.Tokens.AccessTokenAlg) {
		bad("tokens.access_token_alg", "%q must be one of keys.algorithms (%s)", c.Tokens.AccessTokenAlg, strings.Join(c.Keys.Algorithms, ", "))
	}
	if c.Login.MaxFailuresPerAccount < 1 {
		bad("login.max_failures_per_account", "must be at least 1")
	}
	if c.Login.MaxFailuresPerIP < 1 {
		bad("login.max_failures_per_ip", "must be at least 1")
	}
	errs = append(errs, c.validateUsers()...)
	switch c.DCR.Mode {
	case "open", "initial_access_token":
	default:
		bad("dcr.mode", "must be open or initial_access_token, not %q", c.DCR.Mode)
	}
	if c.DCR.OpenPerIPPerHour < 1 {
		bad("dcr.open_registrations_per_ip_per_hour", "must be at least 1")
	}
	errs = append(errs, c.validateAdmin()...)
	errs = append(errs, c.validateMetrics()...)
	errs = append(errs, c.validateProxies()...)
	errs = append(errs, c.validateOutbound()...)
	errs = append(errs, c.validateConnectors()...)
	errs = append(errs, c.validateUpkeep()...)
	errs = append(errs, c.validateTracing()...)
	errs = append(errs, c.validateAuditForwarding()...)
	errs = append(errs, c.validateAttributes()...)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "must be text or json, not %q", c.Log.Format)
	}
	return errors.Join(errs...)
}

// databaseKind splits "sqlite:PATH" and "postgres://..." URLs.
func databaseKind(dsn string) (kind, rest string) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return "sqlite", strings.TrimPrefix(dsn, "sqlite:")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", dsn
	}
	return "", ""
}

// systemSecrets returns the configured secrets, or in embedded SQLite mode
// the one kept in the data directory, generating it on first use. The
// second result says whether it was generated now.
func (c Config) systemSecrets() ([][]byte, bool, error) {
	if len(c.Secrets.System) > 0 {
		out := make([][]byte, len(c.Secrets.System))
		for i, s := range c.Secrets.System {
			out[i] = []byte(s)
		}
		return out, false, nil
	}
	// Validate refused PostgreSQL without secrets, so this is SQLite.
	path := filepath.Join(c.DataDir, "secret")
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, false, fmt.Errorf("%s: secret shorter than 32 bytes", path)
		}
		return [][]byte{[]byte(s)}, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read secret: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create data directory: %w", err)
	}
	var raw [48]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, false, fmt.Errorf("generate secret: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(raw[:])
	// O_EXCL: two processes starting at once must not overwrite each other.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return c.systemSecrets()
		}
		return nil, false, fmt.Errorf("write secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("write secret: %w", err)
	}
	return [][]byte{[]byte(s)}, true, nil
}
