package discovery

import (
	"slices"
	"strings"

	"github.com/ostiary/ostiary/provider/acr"
)

// Endpoint paths, relative to the issuer, that NewMetadata publishes.
const (
	PathAuthorize  = "/oauth2/authorize"
	PathToken      = "/oauth2/token"
	PathUserinfo   = "/oauth2/userinfo"
	PathLogout     = "/oauth2/logout"
	PathIntrospect = "/oauth2/introspect"
	PathRevoke     = "/oauth2/revoke"
	// PathDeviceAuthorization is RFC 8628 §3.1's endpoint.
	PathDeviceAuthorization = "/oauth2/device_authorization"
	// PathPushedAuthorize is RFC 9126's pushed authorization request endpoint.
	PathPushedAuthorize = "/oauth2/par"
	PathJWKS            = "/.well-known/jwks.json"

	PathOpenIDConfiguration = "/.well-known/openid-configuration"
	PathOAuthServerMetadata = "/.well-known/oauth-authorization-server"
)

// Metadata is the discovery document: OpenID Connect Discovery 1.0 §3,
// RFC 8414 §2, OpenID Connect Back-Channel Logout 1.0 §2.1, RP-Initiated
// Logout 1.0 §2.1 and RFC 9207 §3. Fields without omitempty are published
// even when false or empty, because the spec's default for an absent value
// differs (request_uri_parameter_supported defaults to true) or because
// clients look for them.
type Metadata struct {
	Issuer                             string `json:"issuer"`
	AuthorizationEndpoint              string `json:"authorization_endpoint"`
	TokenEndpoint                      string `json:"token_endpoint"`
	UserinfoEndpoint                   string `json:"userinfo_endpoint,omitempty"`
	JWKSURI                            string `json:"jwks_uri"`
	RegistrationEndpoint               string `json:"registration_endpoint,omitempty"`
	EndSessionEndpoint                 string `json:"end_session_endpoint,omitempty"`
	IntrospectionEndpoint              string `json:"introspection_endpoint,omitempty"`
	RevocationEndpoint                 string `json:"revocation_endpoint,omitempty"`
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint,omitempty"`
	DeviceAuthorizationEndpoint        string `json:"device_authorization_endpoint,omitempty"`
	ServiceDocumentation               string `json:"service_documentation,omitempty"`

	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	RequestObjectSigningAlgValues     []string `json:"request_object_signing_alg_values_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	// TokenEndpointAuthSigningAlgValuesSupported is required by RFC 8414 §2
	// when private_key_jwt is offered.
	TokenEndpointAuthSigningAlgValuesSupported         []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	IntrospectionEndpointAuthMethodsSupported          []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	IntrospectionEndpointAuthSigningAlgValuesSupported []string `json:"introspection_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpointAuthMethodsSupported             []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	RevocationEndpointAuthSigningAlgValuesSupported    []string `json:"revocation_endpoint_auth_signing_alg_values_supported,omitempty"`
	CodeChallengeMethodsSupported                      []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                                    []string `json:"claims_supported"`
	ClaimTypesSupported                                []string `json:"claim_types_supported,omitempty"`
	PromptValuesSupported                              []string `json:"prompt_values_supported,omitempty"`
	UILocalesSupported                                 []string `json:"ui_locales_supported,omitempty"`
	// ACRValuesSupported are the authentication context classes
	// (provider/acr) a client may ask for with acr_values (OIDC Discovery
	// §3, OIDC Core §3.1.2.1) and find in the acr claim.
	ACRValuesSupported []string `json:"acr_values_supported,omitempty"`
	// DPoPSigningAlgValuesSupported are the DPoP proof algorithms (RFC 9449 §5.1).
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`

	ClaimsParameterSupported                   bool `json:"claims_parameter_supported"`
	RequestParameterSupported                  bool `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool `json:"request_uri_parameter_supported"`
	RequirePushedAuthorizationRequests         bool `json:"require_pushed_authorization_requests,omitempty"`
	BackchannelLogoutSupported                 bool `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported          bool `json:"backchannel_logout_session_supported"`
	FrontchannelLogoutSupported                bool `json:"frontchannel_logout_supported"`
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// NewMetadata returns the document for an issuer at the root of its origin
// (the well-known paths are not path-aware), with every endpoint under the
// issuer and the capabilities the provider implements. Callers adjust fields
// for what their configuration enables, then hand it to Handler.
//
// AuthorizationResponseIssParameterSupported is false: fosite does not add
// iss to authorization responses, and advertising it obliges clients to
// reject responses without it (RFC 9207 §2.4). Set it once the authorization
// endpoint adds the parameter.
func NewMetadata(issuer string) Metadata {
	base := strings.TrimSuffix(issuer, "/")
	return Metadata{
		Issuer:                issuer,
		AuthorizationEndpoint: base + PathAuthorize,
		TokenEndpoint:         base + PathToken,
		UserinfoEndpoint:      base + PathUserinfo,
		JWKSURI:               base + PathJWKS,
		EndSessionEndpoint:    base + PathLogout,
		IntrospectionEndpoint: base + PathIntrospect,
		RevocationEndpoint:    base + PathRevoke,
		// RFC 8628 §4.
		DeviceAuthorizationEndpoint: base + PathDeviceAuthorization,

		ScopesSupported:        []string{"openid", "profile", "email", "offline_access", "groups"},
		ResponseTypesSupported: []string{"code"},
		ResponseModesSupported: []string{"query", "form_post"},
		GrantTypesSupported: []string{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange",
			"urn:ietf:params:oauth:grant-type:device_code"},
		SubjectTypesSupported: []string{"public"},

		IDTokenSigningAlgValuesSupported: []string{"RS256"},
		// Signed request objects by value (RFC 9101 §10.1, OIDC Discovery
		// §3): provider/oauth.RequestObjectAlgs. Not none, not HMAC.
		RequestParameterSupported:     true,
		RequestObjectSigningAlgValues: []string{"RS256", "PS256", "ES256", "EdDSA"},
		// Public clients authenticate with "none" (and PKCE) at the token
		// endpoint and may revoke their own refresh tokens (RFC 7009 §2.1);
		// introspection is for confidential resource servers only.
		TokenEndpointAuthMethodsSupported:                  []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		TokenEndpointAuthSigningAlgValuesSupported:         []string{"RS256"},
		IntrospectionEndpointAuthMethodsSupported:          []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		IntrospectionEndpointAuthSigningAlgValuesSupported: []string{"RS256"},
		RevocationEndpointAuthMethodsSupported:             []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		RevocationEndpointAuthSigningAlgValuesSupported:    []string{"RS256"},
		CodeChallengeMethodsSupported:                      []string{"S256"},
		// Every claim of ID tokens, access tokens (RFC 9068: client_id,
		// scope) and userinfo; provider/oauth's
		// TestClaimsSupportedCoversIssuedClaims holds the list to what is
		// issued.
		ClaimsSupported: []string{
			"iss", "sub", "aud", "exp", "iat", "jti", "auth_time", "rat", "nonce", "at_hash", "sid", "acr", "amr",
			"name", "preferred_username", "updated_at", "email", "email_verified", "org_id", "org_name", "org_role",
			"groups", "org_roles", "idp",
			"client_id", "scope",
		},
		ACRValuesSupported:    slices.Clone(acr.Supported),
		ClaimTypesSupported:   []string{"normal"},
		PromptValuesSupported: []string{"none", "login", "consent"},

		BackchannelLogoutSupported:        true,
		BackchannelLogoutSessionSupported: true,
	}
}
