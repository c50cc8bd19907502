package clients

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Grant types a client may be registered for. The implicit and password
// grants are not supported at all (RFC 9700 §2.1.2 and §2.4).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantTokenExchange lets the client exchange a user's personal access
	// token, or an access or ID token (to one of its ExchangeAudiences),
	// for an access token (RFC 8693; see provider/oauth).
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// GrantDeviceCode is the device authorization grant (RFC 8628; see
	// provider/oauth): input-constrained devices and command-line tools.
	GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
)

// Token endpoint authentication methods (RFC 7591 §2).
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// DefaultScopes are granted to a client registered without --scope.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// StandardScopes are the user scopes any client may be registered with,
// dynamic registration included: DefaultScopes and groups (the user's
// organizations and roles), which is not a default because it discloses
// every membership; a client is registered with it when it needs it.
var StandardScopes = append(slices.Clone(DefaultScopes), "groups")

// Spec is what an administrator asks for when registering a client.
type Spec struct {
	Name       string
	Public     bool
	FirstParty bool
	// PKCEOptional lets a confidential client send no code_challenge.
	PKCEOptional            bool
	RedirectURIs            []string
	PostLogoutRedirectURIs  []string
	CORSOrigins             []string
	GrantTypes              []string
	Scopes                  []string
	Audiences               []string
	TokenEndpointAuthMethod string
	JWKSURI                 string
	LogoURI                 string
	PolicyURI               string
	TOSURI                  string
	BackchannelLogoutURI    string
	OrgID                   string
	AccessTokenLifespan     time.Duration
	RefreshTokenLifespan    time.Duration
	IDTokenLifespan         time.Duration
	// IDTokenSignedResponseAlg is the alg of the client's ID tokens
	// (OpenID Connect Dynamic Client Registration §2): RS256 (""), ES256 or
	// EdDSA, among the provider's keys.algorithms (CheckIDTokenAlg).
	IDTokenSignedResponseAlg string
	// ExchangeAudiences are the audiences a token-exchange client may
	// exchange an access or ID token for (RFC 8693 §2.1): its policy.
	ExchangeAudiences []string
	// APIs are the identifiers of the registered APIs the client is
	// granted (RFC 8707 resource); DefaultAPI, one of them or empty, is the
	// aud of its tokens that name none.
	APIs       []string
	DefaultAPI string

	// RequirePushedAuthorizationRequests: the client must push its
	// authorization requests first (RFC 9126 §6).
	RequirePushedAuthorizationRequests bool
	// RequestObjectSigningAlg is the only alg the client's signed request
	// objects may use (OpenID Connect Dynamic Client Registration §2):
	// one of RequestObjectAlgs, "" for any of them.
	RequestObjectSigningAlg string
	// RequireSignedRequestObject refuses the client's authorization
	// requests without a signed request object (RFC 9101 §10.5); the
	// client needs a JWKS or JWKS URI.
	RequireSignedRequestObject bool
	// DPoPBoundAccessTokens makes a DPoP proof mandatory at the token
	// endpoint (RFC 9449 §5.2, dpop_bound_access_tokens).
	DPoPBoundAccessTokens bool
}

// RequestObjectAlgs are the algs a signed request object (RFC 9101) may
// be signed with: never none, never HMAC.
var RequestObjectAlgs = []string{"RS256", "PS256", "ES256", "EdDSA"}

// Build validates spec and returns the client to store and, for a
// confidential client, its secret in the clear — shown once, never stored.
// Every problem is reported in one ErrInvalid failure (see Validate).
func Build(spec Spec, now time.Time) (storage.Client, string, error) {
	c := storage.Client{
		ID:                               randtoken.ID(),
		Name:                             strings.TrimSpace(spec.Name),
		Public:                           spec.Public,
		FirstParty:                       spec.FirstParty,
		PKCEOptional:                     spec.PKCEOptional,
		RedirectURIs:                     spec.RedirectURIs,
		PostLogoutRedirectURIs:           spec.PostLogoutRedirectURIs,
		CORSOrigins:                      spec.CORSOrigins,
		GrantTypes:                       spec.GrantTypes,
		ResponseTypes:                    []string{"code"},
		Scopes:                           spec.Scopes,
		Audiences:                        spec.Audiences,
		TokenEndpointAuthMethod:          spec.TokenEndpointAuthMethod,
		JWKSURI:                          spec.JWKSURI,
		LogoURI:                          spec.LogoURI,
		PolicyURI:                        spec.PolicyURI,
		TOSURI:                           spec.TOSURI,
		BackchannelLogoutURI:             spec.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: spec.BackchannelLogoutURI != "",
		OrgID:                            spec.OrgID,
		AccessTokenLifespan:              spec.AccessTokenLifespan,
		RefreshTokenLifespan:             spec.RefreshTokenLifespan,
		IDTokenLifespan:                  spec.IDTokenLifespan,
		IDTokenSignedResponseAlg:         spec.IDTokenSignedResponseAlg,
		ExchangeAudiences:                spec.ExchangeAudiences,
		APIs:                             spec.APIs,
		DefaultAPI:                       spec.DefaultAPI,
		RequestObjectSigningAlg:          spec.RequestObjectSigningAlg,
		RequireSignedRequestObject:       spec.RequireSignedRequestObject,
		DPoPBoundAccessTokens:            spec.DPoPBoundAccessTokens,
		CreatedAt:                        now,
		UpdatedAt:                        now,

		RequirePushedAuthorizationRequests: spec.RequirePushedAuthorizationRequests,
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = AuthSecretBasic
		if c.Public {
			c.TokenEndpointAuthMethod = AuthNone
		}
	}
	if err := Validate(c); err != nil {
		return storage.Client{}, "", err
	}
	var secret string
	if !c.Public && c.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
		secret = randtoken.New()
		c.SecretHash = randtoken.Hash(secret)
	}
	return c, secret, nil
}

// ErrInvalid is client metadata that breaks the rules; its fault Details
// name each problem.
var ErrInvalid = fault.Sentinel(fault.Invalid, "invalid client metadata")

// Validate checks a client's metadata; the admin API uses it on updates
// too. Every problem is in the one ErrInvalid failure it returns.
func Validate(c storage.Client) error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.Name == "" {
		bad("name: required")
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantTokenExchange, GrantDeviceCode:
		case "implicit", "password":
			bad("grant type %q: not supported (RFC 9700 forbids it)", g)
		default:
			bad("grant type %q: unknown (want authorization_code, refresh_token, client_credentials, %s or %s)", g, GrantTokenExchange, GrantDeviceCode)
		}
	}
	usesCode := slices.Contains(c.GrantTypes, GrantAuthorizationCode)
	if usesCode && len(c.RedirectURIs) == 0 {
		bad("redirect URI: a client using authorization_code needs at least one")
	}
	for _, u := range c.RedirectURIs {
		if err := CheckRedirectURI(u); err != nil {
			bad("redirect URI %q: %v", u, err)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := CheckRedirectURI(u); err != nil {
			bad("post-logout redirect URI %q: %v", u, err)
		}
	}
	for _, o := range c.CORSOrigins {
		if err := checkOrigin(o); err != nil {
			bad("CORS origin %q: %v", o, err)
		}
	}
	for name, u := range map[string]string{"logo URI": c.LogoURI, "policy URI": c.PolicyURI, "terms URI": c.TOSURI, "JWKS URI": c.JWKSURI, "back-channel logout URI": c.BackchannelLogoutURI} {
		if u != "" {
			if err := checkWebURI(u); err != nil {
				bad("%s %q: %v", name, u, err)
			}
		}
	}
	switch c.TokenEndpointAuthMethod {
	case AuthNone:
		if !c.Public {
			bad("token endpoint auth method none: only for public clients")
		}
	case AuthSecretBasic, AuthSecretPost:
		if c.Public {
			bad("token endpoint auth method %s: a public client has no secret", c.TokenEndpointAuthMethod)
		}
	case AuthPrivateKeyJWT:
		if c.Public {
			bad("token endpoint auth method private_key_jwt: a public client has no keys")
		}
		if c.JWKSURI == "" && len(c.JWKS) == 0 {
			bad("token endpoint auth method private_key_jwt: needs a JWKS URI or a JWKS")
		}
	default:
		bad("token endpoint auth method %q: unknown", c.TokenEndpointAuthMethod)
	}
	if a := c.IDTokenSignedResponseAlg; a != "" && !keys.IsSupported(a) {
		bad("ID token signing alg %q: unknown (want %s)", a, strings.Join(keys.Supported, ", "))
	}
	if len(c.ExchangeAudiences) > 0 && !slices.Contains(c.GrantTypes, GrantTokenExchange) {
		bad("exchange audiences: only for a client with the %s grant", GrantTokenExchange)
	}
	for _, a := range c.ExchangeAudiences {
		if !IsResourceURI(a) {
			bad("exchange audience %q: not an absolute URI without a fragment (RFC 8707 §2)", a)
		}
	}
	for _, a := range c.APIs {
		if !IsResourceURI(a) {
			bad("API %q: not an absolute URI without a fragment (RFC 8707 §2)", a)
		}
	}
	if c.DefaultAPI != "" && !slices.Contains(c.APIs, c.DefaultAPI) {
		bad("default API %q: not one of the client's APIs", c.DefaultAPI)
	}
	if a := c.RequestObjectSigningAlg; a != "" && !slices.Contains(RequestObjectAlgs, a) {
		bad("request object signing alg %q: unknown (want %s; none and HMAC are refused)", a, strings.Join(RequestObjectAlgs, ", "))
	}
	if c.RequireSignedRequestObject && c.JWKSURI == "" && len(c.JWKS) == 0 {
		bad("require signed request object: needs a JWKS URI or a JWKS to verify them with")
	}
	if c.Public && c.PKCEOptional {
		bad("PKCE: a public client must always use it (RFC 9700 §2.1.1); only confidential clients may be let off")
	}
	if c.Public && slices.Contains(c.GrantTypes, GrantClientCredentials) {
		bad("grant type client_credentials: only for confidential clients")
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\"\\") {
			bad("scope %q: not a valid scope token (RFC 6749 §3.3)", s)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"access token lifespan", c.AccessTokenLifespan}, {"refresh token lifespan", c.RefreshTokenLifespan}, {"ID token lifespan", c.IDTokenLifespan}} {
		if d.v < 0 {
			bad("%s: must not be negative", d.name)
		}
	}
	return ErrInvalid.NewList(errs)
}

// CheckIDTokenAlg refuses an ID token alg the provider's key set does not
// sign with: enabled are its keys.algorithms (nil is RS256 alone). An alg
// unknown altogether is Validate's to report.
func CheckIDTokenAlg(alg string, enabled []string) error {
	if alg == "" || alg == keys.AlgRS256 || !keys.IsSupported(alg) || slices.Contains(enabled, alg) {
		return nil
	}
	if len(enabled) == 0 {
		enabled = []string{keys.AlgRS256}
	}
	return ErrInvalid.NewList([]string{fmt.Sprintf("ID token signing alg %s: not enabled on this provider (keys.algorithms is %s)",
		alg, strings.Join(enabled, ", "))})
}

// CheckRedirectURI applies RFC 9700 §2.1 and RFC 8252 §7: an absolute URI
// without a fragment; https, or http only on a loopback host, or a private-use
// scheme for native apps.
func CheckRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URI")
	}
	if !u.IsAbs() {
		return errors.New("must be absolute")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not contain a fragment (RFC 6749 §3.1.2)")
	}
	if u.User != nil {
		return errors.New("must not contain user information")
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return errors.New("has no host")
		}
	case "http":
		if !IsLoopback(u.Hostname()) {
			return errors.New("http is allowed only for loopback hosts (RFC 8252 §7.3); use https")
		}
	case "javascript", "data", "file", "vbscript":
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	default:
		// Private-use URI scheme of a native app (RFC 8252 §7.1): reverse
		// domain name, so it must contain a dot.
		if !strings.Contains(u.Scheme, ".") {
			return errors.New("a custom scheme must be a reverse domain name such as com.example.app (RFC 8252 §7.1)")
		}
	}
	return nil
}

// IsLoopback reports whether host is localhost or a loopback IP literal.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkWebURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())) {
		return errors.New("must be https (http only on loopback)")
	}
	return nil
}

func checkOrigin(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("must be scheme://host[:port]")
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("an origin has no path, query, fragment or user information")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return errors.New("scheme must be http or https")
	}
	return nil
}
