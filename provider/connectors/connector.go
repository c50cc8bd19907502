package connectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Types of connector.
const (
	TypeOIDC   = "oidc"
	TypeGitHub = "github"
)

// Errors a connector returns, so the pages can say what went wrong.
var (
	// ErrUnavailable: the upstream could not be reached or answered badly.
	ErrUnavailable = errors.New("connectors: upstream unavailable")
	// ErrInvalidToken: the upstream's answer did not verify (signature,
	// audience, expiry, nonce, missing subject).
	ErrInvalidToken = errors.New("connectors: upstream token invalid")
)

// Claims names the upstream claims that carry each attribute; empty means
// the standard name.
type Claims struct {
	Subject       string `yaml:"subject" json:"subject,omitempty"`
	Email         string `yaml:"email" json:"email,omitempty"`
	EmailVerified string `yaml:"email_verified" json:"email_verified,omitempty"`
	Name          string `yaml:"name" json:"name,omitempty"`
	Groups        string `yaml:"groups" json:"groups,omitempty"`
}

func (c Claims) withDefaults() Claims {
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	return Claims{Subject: def(c.Subject, "sub"), Email: def(c.Email, "email"),
		EmailVerified: def(c.EmailVerified, "email_verified"), Name: def(c.Name, "name"), Groups: def(c.Groups, "groups")}
}

// Config describes one connector, as YAML or the admin API gives it.
type Config struct {
	ID           string   `yaml:"id" json:"id,omitempty"`
	Type         string   `yaml:"type" json:"type,omitempty"`
	Name         string   `yaml:"name" json:"name,omitempty"`
	Icon         string   `yaml:"icon" json:"icon,omitempty"`
	ClientID     string   `yaml:"client_id" json:"client_id,omitempty"`
	ClientSecret string   `yaml:"client_secret" json:"client_secret,omitempty"`
	Scopes       []string `yaml:"scopes" json:"scopes,omitempty"`
	Claims       Claims   `yaml:"claims" json:"claims,omitempty"`
	// Issuer is an OpenID Connect provider's issuer URL (discovery).
	Issuer string `yaml:"issuer" json:"issuer,omitempty"`
	// BaseURL and APIURL locate GitHub (https://github.com and
	// https://api.github.com by default; GitHub Enterprise or a test fake
	// otherwise).
	BaseURL string `yaml:"base_url" json:"base_url,omitempty"`
	APIURL  string `yaml:"api_url" json:"api_url,omitempty"`
	// UpstreamLogout continues our logout at the upstream's
	// end_session_endpoint when it has one.
	UpstreamLogout bool `yaml:"upstream_logout" json:"upstream_logout,omitempty"`
	// Disabled hides the connector's button and refuses its sign-ins.
	Disabled bool `yaml:"disabled" json:"disabled,omitempty"`
	// SAML configures a connector of type saml; its client secret is the
	// service provider's signing key.
	SAML SAML `yaml:"saml" json:"saml,omitzero"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate returns every problem with c, each naming its key under prefix.
func (c Config) Validate(prefix string) []string {
	var errs []string
	bad := func(key, msg string) { errs = append(errs, prefix+"."+key+": "+msg) }
	if !idPattern.MatchString(c.ID) {
		bad("id", "must be 1-63 lowercase letters, digits, '-' or '_'")
	}
	switch c.Type {
	case TypeOIDC:
		if !absoluteURL(c.Issuer) {
			bad("issuer", "must be an absolute http(s) URL")
		}
	case TypeGitHub:
		if c.BaseURL != "" && !absoluteURL(c.BaseURL) {
			bad("base_url", "must be an absolute http(s) URL")
		}
		if c.APIURL != "" && !absoluteURL(c.APIURL) {
			bad("api_url", "must be an absolute http(s) URL")
		}
	case TypeSAML:
		c.SAML.validate(bad, c.ClientSecret)
	default:
		bad("type", `must be "oidc", "github" or "saml"`)
	}
	if strings.TrimSpace(c.Name) == "" {
		bad("name", "is required")
	}
	if c.Type == TypeSAML {
		return errs
	}
	if c.ClientID == "" {
		bad("client_id", "is required")
	}
	if c.ClientSecret == "" {
		bad("client_secret", "is required")
	}
	return errs
}

func absoluteURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) > len("https://")
}

// Identity is who the upstream says signed in.
type Identity struct {
	// Issuer and Subject name the upstream account, stably.
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	Groups          []string
	// IDToken is the upstream's raw ID token (OpenID Connect only), kept for
	// upstream logout.
	IDToken string
}

// Start is what an upstream sign-in needs to remember between the redirect
// and the callback. Every field is secret and kept server-side.
type Start struct {
	State, Nonce, Verifier string
}

// Connector is one upstream identity provider.
type Connector interface {
	Config() Config
	// AuthOrigins are the origins the browser is sent to, for the pages'
	// Content-Security-Policy form-action.
	AuthOrigins() []string
	// AuthURL is where to send the browser.
	AuthURL(ctx context.Context, s Start, redirectURI string) (string, error)
	// Finish exchanges the code and returns the verified identity.
	// ErrUnavailable or ErrInvalidToken, wrapped.
	Finish(ctx context.Context, code string, s Start, redirectURI string) (Identity, error)
	// LogoutURL is the upstream's end_session_endpoint with id_token_hint
	// and post_logout_redirect_uri; ok is false when there is none or the
	// connector did not opt in.
	LogoutURL(ctx context.Context, idToken, postLogout string) (u string, ok bool)
}

// Deps are what connectors share.
type Deps struct {
	// HTTPClient talks to the upstreams; nil is a client with a 15 second
	// timeout.
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked against.
	Now func() time.Time
	// Issuer is our issuer URL, under which SAML connectors have their
	// entity id and assertion consumer service.
	Issuer string
	// SAMLAssertions remembers accepted SAML assertions across replicas;
	// a SAML connector refuses every response without it.
	SAMLAssertions SAMLAssertions
}

func (d Deps) withDefaults() Deps {
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}

// New builds the connector c describes. It does not contact the upstream:
// an upstream that is down at start-up must not stop Ostiary.
func New(c Config, d Deps) (Connector, error) {
	if errs := c.Validate("connector"); len(errs) > 0 {
		return nil, fmt.Errorf("connectors: %s", strings.Join(errs, "; "))
	}
	d = d.withDefaults()
	switch c.Type {
	case TypeOIDC:
		return newOIDC(c, d), nil
	case TypeSAML:
		return newSAML(c, d)
	default:
		return newGitHub(c, d), nil
	}
}

// Set is the configured connectors, in order.
type Set struct {
	list []Connector
	byID map[string]Connector
}

// NewSet builds every connector; ids must be unique.
func NewSet(cfgs []Config, d Deps) (*Set, error) {
	s := &Set{byID: map[string]Connector{}}
	for _, c := range cfgs {
		if _, dup := s.byID[c.ID]; dup {
			return nil, fmt.Errorf("connectors: id %q used twice", c.ID)
		}
		conn, err := New(c, d)
		if err != nil {
			return nil, err
		}
		s.list = append(s.list, conn)
		s.byID[c.ID] = conn
	}
	return s, nil
}

// Enabled lists the connectors that show a button.
func (s *Set) Enabled() []Connector {
	if s == nil {
		return nil
	}
	var out []Connector
	for _, c := range s.list {
		if !c.Config().Disabled {
			out = append(out, c)
		}
	}
	return out
}

// Get returns an enabled connector by id.
func (s *Set) Get(id string) (Connector, bool) {
	if s == nil {
		return nil, false
	}
	c, ok := s.byID[id]
	if !ok || c.Config().Disabled {
		return nil, false
	}
	return c, true
}

// Known reports whether a connector with id is configured (enabled or not).
func (s *Set) Known(id string) bool {
	if s == nil {
		return false
	}
	_, ok := s.byID[id]
	return ok
}
