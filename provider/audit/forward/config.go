package forward

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Sink types.
const (
	TypeSyslog  = "syslog"
	TypeWebhook = "webhook"
)

// Syslog transports.
const (
	TransportTCP = "tcp"
	TransportTLS = "tls"
	TransportUDP = "udp"
)

// The message size limits a syslog sink uses unless told otherwise: what
// every receiver must accept over TLS, RFC 5425 §4.3.1 ("MUST be able to
// process messages up to 2048 octets"; "SHOULD" up to 8192), and what
// RFC 5426 §3.2 asks UDP receivers to accept ("SHOULD" 2048).
const (
	DefaultStreamMessageSize = 8192
	DefaultUDPMessageSize    = 2048
)

// SinkConfig is one sink as provider.Config holds it: cmd/ostiary reads the
// file, resolves the secret and the CA file.
type SinkConfig struct {
	// Name is the sink's key in the outbox: renaming a sink starts its
	// queue afresh.
	Name string
	// Type is syslog or webhook.
	Type string
	// Events are the event types the sink gets: exact ("logout"), prefix
	// ("login.*"), or all ("*"). None is all.
	Events []string

	// Address is the syslog server's host:port.
	Address string
	// Transport is tcp, tls or udp.
	Transport string
	// Facility is the syslog facility's name (RFC 5424 §6.2.1), e.g. auth.
	Facility string
	// AppName and Hostname go in the header; empty: "ostiary" and the
	// machine's name.
	AppName, Hostname string
	// MaxMessageSize caps one message in octets; 0: the transport's default.
	MaxMessageSize int
	// RootCAs verify the TLS server; nil: the system's roots. ServerName
	// overrides the name checked (default: Address's host).
	RootCAs    *x509.CertPool
	ServerName string

	// URL is where webhooks are posted, through the guarded client.
	URL string
	// Secret signs webhooks.
	Secret Secret
}

// Secret is a Standard Webhooks signing key. It never prints.
type Secret struct{ key []byte }

// ParseSecret reads "whsec_" followed by the standard base64 of the key.
// The Standard Webhooks specification asks for 24 to 64 bytes.
func ParseSecret(s string) (Secret, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "whsec_")
	if !ok {
		return Secret{}, errors.New(`must start with "whsec_" followed by base64`)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return Secret{}, errors.New(`the part after "whsec_" is not standard base64`)
	}
	if len(key) < 24 || len(key) > 64 {
		return Secret{}, fmt.Errorf("key is %d bytes; Standard Webhooks keys are 24 to 64 bytes", len(key))
	}
	return Secret{key: key}, nil
}

// IsZero reports whether no key is set.
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// String hides the key.
func (s Secret) String() string { return "whsec_[redacted]" }

// GoString hides the key from %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue hides the key from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// facilities are RFC 5424 §6.2.1's, by their customary names.
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "security": 13, "console": 14, "clock": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

var (
	sinkName    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	eventFilter = regexp.MustCompile(`^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$`)
)

// Validate reports every problem of the sinks, each named by key (prefix
// is e.g. "audit_forwarding.sinks").
func Validate(prefix string, sinks []SinkConfig) []error {
	var errs []error
	seen := map[string]bool{}
	for i, s := range sinks {
		key := fmt.Sprintf("%s[%d]", prefix, i)
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
		}
		if !sinkName.MatchString(s.Name) {
			bad("name", "%q must be 1-63 lowercase letters, digits, - and _", s.Name)
		} else if seen[s.Name] {
			bad("name", "%q is used by an earlier sink", s.Name)
		}
		seen[s.Name] = true
		for _, f := range s.Events {
			if !eventFilter.MatchString(f) {
				bad("events", "%q must be an event type (logout), a prefix (login.*) or *", f)
			}
		}
		switch s.Type {
		case TypeSyslog:
			if _, port, err := net.SplitHostPort(s.Address); err != nil || port == "" {
				bad("address", "%q must be host:port", s.Address)
			}
			switch s.Transport {
			case TransportTCP, TransportTLS, TransportUDP:
			default:
				bad("transport", "must be tcp, tls or udp, not %q", s.Transport)
			}
			if _, ok := facilities[s.Facility]; !ok {
				bad("facility", "%q is not a syslog facility (auth, authpriv, local0 … local7, …)", s.Facility)
			}
			if s.MaxMessageSize != 0 && (s.MaxMessageSize < 480 || s.MaxMessageSize > 65000) {
				// RFC 5426 §3.2: every receiver takes 480 octets.
				bad("max_message_size", "must be between 480 and 65000 octets, or 0 for the default")
			}
			if s.URL != "" || !s.Secret.IsZero() {
				bad("url", "is for webhook sinks")
			}
		case TypeWebhook:
			if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
				bad("url", "must be an absolute http(s) URL without user info or fragment")
			}
			if s.Secret.IsZero() {
				bad("secret", `required: "whsec_" and base64 (secret, secret_env or secret_file)`)
			}
			if s.Address != "" || s.Transport != "" {
				bad("address", "is for syslog sinks")
			}
		default:
			bad("type", "must be syslog or webhook, not %q", s.Type)
		}
	}
	return errs
}

// Filter is a sink's choice of event types.
type Filter []string

// Match reports whether the filter takes an event of type typ: any when
// empty, else an exact entry, "*", or an entry "p.*" for a type that
// starts with "p.".
func (f Filter) Match(typ string) bool {
	if len(f) == 0 {
		return true
	}
	for _, p := range f {
		if p == "*" || p == typ {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(typ, prefix) {
			return true
		}
	}
	return false
}
