package dcr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

// Metadata is the client metadata of RFC 7591 §2 that Ostiary keeps.
// Members it does not understand are ignored, as §2 requires, and are not
// echoed back.
type Metadata struct {
	RedirectURIs            []string        `json:"redirect_uris"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string        `json:"grant_types,omitempty"`
	ResponseTypes           []string        `json:"response_types,omitempty"`
	ClientName              string          `json:"client_name,omitempty"`
	LogoURI                 string          `json:"logo_uri,omitempty"`
	PolicyURI               string          `json:"policy_uri,omitempty"`
	TOSURI                  string          `json:"tos_uri,omitempty"`
	Scope                   string          `json:"scope,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	PostLogoutRedirectURIs  []string        `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI    string          `json:"backchannel_logout_uri,omitempty"`
	// PKCERequired (an Ostiary extension; absent is true): false lets a
	// confidential client send no code_challenge. A challenge it sends is
	// still checked; public clients always need PKCE.
	PKCERequired *bool `json:"pkce_required,omitempty"`
	// RequirePushedAuthorizationRequests is RFC 9126 §6's client metadata.
	RequirePushedAuthorizationRequests bool `json:"require_pushed_authorization_requests,omitempty"`
	// Audience (an extension, named as in Ory Hydra) lists the audiences,
	// RFC 8707 resource indicators, the client may ask tokens for; without
	// any its tokens carry the provider's default audience.
	Audience []string `json:"audience,omitempty"`
	// IDTokenSignedResponseAlg is the JWS alg of the client's ID tokens
	// (OpenID Connect Dynamic Client Registration §2; absent is RS256):
	// RS256, ES256 or EdDSA, as far as discovery's
	// id_token_signing_alg_values_supported lists them.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg,omitempty"`
	// RequestObjectSigningAlg is the only JWS alg of the client's signed
	// request objects (OpenID Connect Dynamic Client Registration §2;
	// absent is any of discovery's request_object_signing_alg_values_supported).
	RequestObjectSigningAlg string `json:"request_object_signing_alg,omitempty"`
	// RequireSignedRequestObject (RFC 9101 §10.5) refuses the client's
	// authorization requests without a signed request object.
	RequireSignedRequestObject bool `json:"require_signed_request_object,omitempty"`
	// DPoPBoundAccessTokens (RFC 9449 §5.2; absent is false) makes a DPoP
	// proof mandatory with every token request of the client.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens,omitempty"`
}

// Scopes a registered client may ask for: the standard ones only, so that
// no one grants themselves an administrative scope by registering. Without
// a scope the client gets clients.DefaultScopes.
var allowedScopes = clients.StandardScopes

// metadataError is an RFC 7591 §3.2.2 error: invalid_redirect_uri or
// invalid_client_metadata, with a description for the developer.
type metadataError struct {
	code        string
	description string
}

func (e *metadataError) Error() string { return e.code + ": " + e.description }

func invalidMetadata(format string, args ...any) error {
	return &metadataError{"invalid_client_metadata", fmt.Sprintf(format, args...)}
}

func invalidRedirect(format string, args ...any) error {
	return &metadataError{"invalid_redirect_uri", fmt.Sprintf(format, args...)}
}

// apply validates m and writes it onto c (a new client, or the stored one on
// an RFC 7592 update), applying the RFC 7591 defaults for absent members.
// It refuses, rather than silently changes, what Ostiary does not offer.
//
// Audiences are accepted only when withAudience (registration gated by an
// initial access token): under open registration anyone could claim the
// audience of any API and have users sign in to a token it accepts.
func (m Metadata) apply(c storage.Client, withAudience bool) (storage.Client, error) {
	// A device-only client (RFC 8628) has no redirect URI.
	deviceOnly := slices.Contains(m.GrantTypes, clients.GrantDeviceCode) && !slices.Contains(m.GrantTypes, clients.GrantAuthorizationCode)
	if len(m.RedirectURIs) == 0 && !deviceOnly {
		return c, invalidRedirect("redirect_uris: at least one is required for the authorization code grant")
	}
	for _, u := range m.RedirectURIs {
		if err := clients.CheckRedirectURI(u); err != nil {
			return c, invalidRedirect("redirect_uris: %q: %v", u, err)
		}
	}
	for _, u := range m.PostLogoutRedirectURIs {
		if err := clients.CheckRedirectURI(u); err != nil {
			return c, invalidMetadata("post_logout_redirect_uris: %q: %v", u, err)
		}
	}
	name := strings.TrimSpace(m.ClientName)
	if name == "" {
		// The consent page names the client; a nameless one would leave the
		// user guessing who asks.
		return c, invalidMetadata("client_name: required, the consent page shows it")
	}
	for _, f := range []struct{ key, v string }{
		{"logo_uri", m.LogoURI}, {"policy_uri", m.PolicyURI}, {"tos_uri", m.TOSURI},
		{"jwks_uri", m.JWKSURI}, {"backchannel_logout_uri", m.BackchannelLogoutURI},
	} {
		if f.v != "" {
			if err := checkHTTPS(f.v); err != nil {
				return c, invalidMetadata("%s: %q: %v", f.key, f.v, err)
			}
		}
	}

	grants := m.GrantTypes
	if len(grants) == 0 {
		grants = []string{clients.GrantAuthorizationCode} // RFC 7591 §2 default
	}
	for _, g := range grants {
		if g != clients.GrantAuthorizationCode && g != clients.GrantRefreshToken && g != clients.GrantDeviceCode {
			return c, invalidMetadata("grant_types: %q is not offered to registered clients (only authorization_code, refresh_token and %s)", g, clients.GrantDeviceCode)
		}
	}
	if !slices.Contains(grants, clients.GrantAuthorizationCode) && !deviceOnly {
		return c, invalidMetadata("grant_types: must include authorization_code")
	}
	for _, rt := range m.ResponseTypes {
		if rt != "code" {
			return c, invalidMetadata("response_types: %q is not supported (only code)", rt)
		}
	}

	scopes := slices.Clone(clients.DefaultScopes)
	if strings.TrimSpace(m.Scope) != "" {
		scopes = strings.Fields(m.Scope)
		for _, s := range scopes {
			if !slices.Contains(allowedScopes, s) {
				return c, invalidMetadata("scope: %q is not available to registered clients (want some of %s)", s, strings.Join(allowedScopes, " "))
			}
		}
	}

	method := m.TokenEndpointAuthMethod
	if method == "" {
		method = clients.AuthSecretBasic // RFC 7591 §2 default
	}
	switch method {
	case clients.AuthSecretBasic, clients.AuthSecretPost, clients.AuthNone, clients.AuthPrivateKeyJWT:
	default:
		return c, invalidMetadata("token_endpoint_auth_method: %q is not supported", method)
	}
	if m.JWKSURI != "" && len(m.JWKS) > 0 {
		return c, invalidMetadata("jwks and jwks_uri: give one, not both (RFC 7591 §2)")
	}
	var jwks []byte
	if len(m.JWKS) > 0 && string(m.JWKS) != "null" {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(m.JWKS, &set); err != nil || len(set.Keys) == 0 {
			return c, invalidMetadata("jwks: not a JSON Web Key Set with at least one key")
		}
		for _, k := range set.Keys {
			if !k.IsPublic() {
				return c, invalidMetadata("jwks: key %q is not a public key", k.KeyID)
			}
		}
		jwks = m.JWKS
	}

	// Sending back the audiences an admin gave the client (an RFC 7592
	// update repeats what it read) claims nothing new.
	if len(m.Audience) > 0 && !withAudience && !slices.Equal(m.Audience, c.Audiences) {
		return c, invalidMetadata("audience: only clients registered with an initial access token may carry audiences")
	}
	for _, a := range m.Audience {
		if !clients.IsResourceURI(a) {
			return c, invalidMetadata("audience: %q is not an absolute URI without a fragment (RFC 8707 §2)", a)
		}
	}
	if a := m.IDTokenSignedResponseAlg; a != "" && !keys.IsSupported(a) {
		return c, invalidMetadata("id_token_signed_response_alg: %q is not supported (%s)", a, strings.Join(keys.Supported, ", "))
	}
	if a := m.RequestObjectSigningAlg; a != "" && !slices.Contains(clients.RequestObjectAlgs, a) {
		return c, invalidMetadata("request_object_signing_alg: %q is not supported (%s; never none or HMAC)", a, strings.Join(clients.RequestObjectAlgs, ", "))
	}
	pkceOptional := m.PKCERequired != nil && !*m.PKCERequired
	if pkceOptional && method == clients.AuthNone {
		return c, invalidMetadata("pkce_required: a public client must always use PKCE (RFC 9700 §2.1.1)")
	}

	c.Name = name
	c.Public = method == clients.AuthNone
	c.PKCEOptional = pkceOptional
	c.RequirePushedAuthorizationRequests = m.RequirePushedAuthorizationRequests
	c.Audiences = slices.Clone(m.Audience)
	c.FirstParty = false
	c.RedirectURIs = m.RedirectURIs
	c.PostLogoutRedirectURIs = m.PostLogoutRedirectURIs
	c.GrantTypes = grants
	c.ResponseTypes = []string{"code"}
	c.Scopes = scopes
	c.TokenEndpointAuthMethod = method
	c.JWKSURI = m.JWKSURI
	c.JWKS = jwks
	c.LogoURI = m.LogoURI
	c.PolicyURI = m.PolicyURI
	c.TOSURI = m.TOSURI
	c.BackchannelLogoutURI = m.BackchannelLogoutURI
	c.BackchannelLogoutSessionRequired = m.BackchannelLogoutURI != ""
	c.IDTokenSignedResponseAlg = m.IDTokenSignedResponseAlg
	c.RequestObjectSigningAlg = m.RequestObjectSigningAlg
	c.RequireSignedRequestObject = m.RequireSignedRequestObject
	c.DPoPBoundAccessTokens = m.DPoPBoundAccessTokens
	// The rules every client obeys, whoever registers it; their
	// clients.ErrInvalid failure is answered invalid_client_metadata
	// (Handler.serve).
	if err := clients.Validate(c); err != nil {
		return c, err
	}
	return c, nil
}

// checkFetched refuses a jwks_uri or back-channel logout URI on an
// address the provider does not send requests to (loopback, private,
// link-local, ... unless the operator allowed it): registering one would
// let anybody make the provider probe its own network (RFC 7591 §5).
func (h *Handler) checkFetched(ctx context.Context, m Metadata) error {
	if h.URLs == nil {
		return nil
	}
	for _, f := range []struct{ key, v string }{{"jwks_uri", m.JWKSURI}, {"backchannel_logout_uri", m.BackchannelLogoutURI}} {
		if f.v == "" {
			continue
		}
		if err := h.URLs.CheckURL(ctx, f.v); err != nil {
			return invalidMetadata("%s: %q: this server does not send requests to that address", f.key, f.v)
		}
	}
	return nil
}

// metadataOf is what a client's configuration reads back as.
func metadataOf(c storage.Client) Metadata {
	pkceRequired := c.PKCERequired()
	return Metadata{
		RedirectURIs:             c.RedirectURIs,
		TokenEndpointAuthMethod:  c.TokenEndpointAuthMethod,
		GrantTypes:               c.GrantTypes,
		ResponseTypes:            c.ResponseTypes,
		ClientName:               c.Name,
		LogoURI:                  c.LogoURI,
		PolicyURI:                c.PolicyURI,
		TOSURI:                   c.TOSURI,
		Scope:                    strings.Join(c.Scopes, " "),
		JWKSURI:                  c.JWKSURI,
		JWKS:                     c.JWKS,
		PostLogoutRedirectURIs:   c.PostLogoutRedirectURIs,
		BackchannelLogoutURI:     c.BackchannelLogoutURI,
		PKCERequired:             &pkceRequired,
		Audience:                 c.Audiences,
		IDTokenSignedResponseAlg: idTokenAlg(c),
		DPoPBoundAccessTokens:    c.DPoPBoundAccessTokens,
		RequestObjectSigningAlg:  c.RequestObjectSigningAlg, RequireSignedRequestObject: c.RequireSignedRequestObject,

		RequirePushedAuthorizationRequests: c.RequirePushedAuthorizationRequests,
	}
}

// idTokenAlg is the alg c's ID tokens are signed with (RS256 when it
// registered none, as Dynamic Client Registration §2 defaults it).
func idTokenAlg(c storage.Client) string {
	if c.IDTokenSignedResponseAlg == "" {
		return keys.AlgRS256
	}
	return c.IDTokenSignedResponseAlg
}

// checkIDTokenAlg refuses an alg the key set does not sign with.
func (h *Handler) checkIDTokenAlg(c storage.Client) error {
	a := idTokenAlg(c)
	if a == keys.AlgRS256 || slices.Contains(h.IDTokenAlgs, a) {
		return nil
	}
	return invalidMetadata("id_token_signed_response_alg: %s is not enabled on this provider (id_token_signing_alg_values_supported lists what is)", a)
}

// checkHTTPS: URIs a user's browser or the provider will fetch must be
// https, with no loopback exception (RFC 7591 §5 asks servers to check).
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("must be an absolute https URL")
	}
	if u.Scheme != "https" {
		return errors.New("must use https")
	}
	if u.User != nil || u.Fragment != "" {
		return errors.New("must not contain user information or a fragment")
	}
	return nil
}

// response is the client information response of RFC 7591 §3.2.1 with the
// RFC 7592 §3 members.
type response struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	Metadata
}

func responseOf(c storage.Client, clientURI string) response {
	r := response{
		ClientID:              c.ID,
		ClientIDIssuedAt:      c.CreatedAt.Unix(),
		RegistrationClientURI: clientURI,
		Metadata:              metadataOf(c),
	}
	if !c.Public && len(c.SecretHash) > 0 {
		never := int64(0) // required when a secret exists: 0 is "never expires"
		r.ClientSecretExpiresAt = &never
	}
	return r
}
