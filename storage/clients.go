package storage

import (
	"context"
	"time"
)

// Client is a registered OAuth 2.0 client.
type Client struct {
	ID string
	// SecretHash is the SHA-256 of the client secret; empty for public clients.
	SecretHash []byte
	Name       string
	// Public clients have no secret and authenticate with "none" + PKCE.
	Public bool
	// FirstParty clients skip the consent page.
	FirstParty bool
	// PKCEOptional lets a confidential client omit code_challenge (RFC 9700
	// §2.1.1 allows it for confidential clients that use nonce); one that
	// sends a challenge is still held to it. Public clients always need
	// PKCE whatever this says.
	PKCEOptional           bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	CORSOrigins            []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	Audiences              []string
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post,
	// private_key_jwt or none.
	TokenEndpointAuthMethod string
	// JWKS (a JSON Web Key Set document) or JWKSURI hold the client's public
	// keys for private_key_jwt.
	JWKS      []byte
	JWKSURI   string
	LogoURI   string
	PolicyURI string
	TOSURI    string
	// BackchannelLogoutURI receives OpenID Back-Channel Logout tokens.
	BackchannelLogoutURI             string
	BackchannelLogoutSessionRequired bool
	// OrgID binds the client to one organization: logins through it always
	// use that organization and skip the picker.
	OrgID string
	// Lifespans override the global defaults when non-zero.
	AccessTokenLifespan  time.Duration
	RefreshTokenLifespan time.Duration
	IDTokenLifespan      time.Duration
	// IDTokenSignedResponseAlg is the JWS alg of the client's ID tokens
	// (OpenID Connect Dynamic Client Registration §2): RS256, ES256 or
	// EdDSA; empty is RS256.
	IDTokenSignedResponseAlg string
	// ExchangeAudiences are the audiences the client may exchange an access
	// or ID token for (RFC 8693 §2.1 audience and resource): its token
	// exchange policy. An exchange to any other is invalid_target.
	ExchangeAudiences []string
	// RequestObjectSigningAlg is the only JWS alg the client's request
	// objects may be signed with (OpenID Connect Dynamic Client
	// Registration §2); empty accepts every supported alg.
	RequestObjectSigningAlg string
	// RequireSignedRequestObject refuses the client's authorization
	// requests that carry no signed request object (RFC 9101 §10.5).
	RequireSignedRequestObject bool
	// DPoPBoundAccessTokens makes a DPoP proof (RFC 9449 §5.2) mandatory at
	// the token endpoint: every access token of the client is bound.
	DPoPBoundAccessTokens bool
	// APIs are the identifiers of the APIs (storage.API) the client is
	// granted: it may ask for tokens for them with RFC 8707 resource.
	APIs []string
	// DefaultAPI, one of APIs or empty, is the aud of the client's access
	// tokens that name no resource or audience.
	DefaultAPI string
	CreatedAt  time.Time
	UpdatedAt  time.Time

	// RequirePushedAuthorizationRequests makes the authorization endpoint
	// refuse this client's requests that were not pushed first (RFC 9126
	// §6: require_pushed_authorization_requests).
	RequirePushedAuthorizationRequests bool
}

// PKCERequired reports whether the client must send a code_challenge:
// always for a public client, otherwise unless PKCEOptional.
func (c Client) PKCERequired() bool { return c.Public || !c.PKCEOptional }

// ClientStore keeps OAuth clients.
type ClientStore interface {
	// CreateClient returns ErrAlreadyExists if the id is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client ordered by creation time.
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient applies fn to the stored client atomically. ErrNotFound;
	// any error from fn is returned unchanged and nothing is written.
	UpdateClient(ctx context.Context, id string, fn func(Client) (Client, error)) error
	// DeleteClient returns ErrNotFound.
	DeleteClient(ctx context.Context, id string) error
}
