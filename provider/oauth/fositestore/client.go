package fositestore

import (
	"encoding/json"
	"slices"
	"time"

	jose3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/storage"
)

// Client is a storage.Client as fosite sees it.
type Client struct {
	c    storage.Client
	jwks *jose3.JSONWebKeySet
	// defaultAudience is Config.DefaultAudience.
	defaultAudience string
}

var (
	_ fosite.Client                         = (*Client)(nil)
	_ fosite.OpenIDConnectClient            = (*Client)(nil)
	_ fosite.ResponseModeClient             = (*Client)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*Client)(nil)
)

// GrantTypeTokenExchange is RFC 8693 §2.1's grant_type: the exchange of
// personal access tokens (provider/oauth/grants.PATExchange).
const GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// GrantTypeDeviceCode is RFC 8628 §3.4's grant_type: the device
// authorization grant (provider/oauth/grants.DeviceCode).
const GrantTypeDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// SupportedGrants are the only grants any client may use: no implicit, no
// password (RFC 9700 §2.1.2, §2.4).
var SupportedGrants = []string{"authorization_code", "refresh_token", "client_credentials", GrantTypeTokenExchange, GrantTypeDeviceCode}

func newClient(c storage.Client) *Client {
	fc := &Client{c: c}
	if len(c.JWKS) > 0 {
		var set jose3.JSONWebKeySet
		// A malformed document leaves the client without keys, so
		// private_key_jwt fails with invalid_client rather than a 500.
		if err := json.Unmarshal(c.JWKS, &set); err == nil {
			fc.jwks = WithSigUse(&set)
		}
	}
	return fc
}

// WithSigUse marks keys without "use" as signing keys: fosite only accepts
// use=sig, while a JWKS often leaves it out (RFC 7517 §4.2 makes it optional).
func WithSigUse(set *jose3.JSONWebKeySet) *jose3.JSONWebKeySet {
	out := &jose3.JSONWebKeySet{Keys: make([]jose3.JSONWebKey, 0, len(set.Keys))}
	for _, k := range set.Keys {
		if k.Use == "" {
			k.Use = "sig"
		}
		out.Keys = append(out.Keys, k)
	}
	return out
}

// Registration is the client as stored.
func (c *Client) Registration() storage.Client { return c.c }

func (c *Client) GetID() string               { return c.c.ID }
func (c *Client) GetHashedSecret() []byte     { return c.c.SecretHash }
func (c *Client) GetRedirectURIs() []string   { return c.c.RedirectURIs }
func (c *Client) GetScopes() fosite.Arguments { return c.c.Scopes }
func (c *Client) IsPublic() bool              { return c.c.Public }

// GetAudience is what the client's tokens may be for: its registered
// audiences or, when it has none, the provider's default audience, and the
// APIs it is granted (RFC 8707 resource). fosite checks requested audiences
// against it; a token that names no resource gets DefaultAudience, so every
// access token has the aud RFC 9068 §2.2 requires.
func (c *Client) GetAudience() fosite.Arguments {
	out := c.registeredAudience()
	for _, a := range c.c.APIs {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func (c *Client) registeredAudience() fosite.Arguments {
	if len(c.c.Audiences) == 0 && c.defaultAudience != "" {
		return fosite.Arguments{c.defaultAudience}
	}
	return slices.Clone(fosite.Arguments(c.c.Audiences))
}

// DefaultAudience is the aud of the client's access tokens that name no
// resource or audience: its default API when set, otherwise its registered
// audiences or the provider's default audience (never the granted APIs
// alone, so granting an API changes no existing token).
func (c *Client) DefaultAudience() fosite.Arguments {
	if c.c.DefaultAPI != "" {
		return fosite.Arguments{c.c.DefaultAPI}
	}
	return c.registeredAudience()
}

func (c *Client) GetGrantTypes() fosite.Arguments {
	var out fosite.Arguments
	for _, g := range c.c.GrantTypes {
		if slices.Contains(SupportedGrants, g) {
			out = append(out, g)
		}
	}
	if len(c.c.GrantTypes) == 0 {
		out = fosite.Arguments{"authorization_code"}
	}
	return out
}

// GetResponseTypes is always just code: no implicit or hybrid flow.
func (c *Client) GetResponseTypes() fosite.Arguments { return fosite.Arguments{"code"} }

func (c *Client) GetResponseModes() []fosite.ResponseModeType {
	return []fosite.ResponseModeType{fosite.ResponseModeQuery, fosite.ResponseModeFormPost}
}

func (c *Client) GetRequestURIs() []string { return nil }

func (c *Client) GetJSONWebKeys() *jose3.JSONWebKeySet { return c.jwks }
func (c *Client) GetJSONWebKeysURI() string            { return c.c.JWKSURI }

// IDTokenSignedResponseAlg is the alg the client's ID tokens are signed
// with (OpenID Connect Dynamic Client Registration §2); "" is RS256.
func (c *Client) IDTokenSignedResponseAlg() string { return c.c.IDTokenSignedResponseAlg }

// DPoPBoundAccessTokens reports whether the client must send a DPoP proof
// with every token request (RFC 9449 §5.2).
func (c *Client) DPoPBoundAccessTokens() bool { return c.c.DPoPBoundAccessTokens }

// GetRequestObjectSigningAlgorithm is never empty: fosite accepts unsigned
// request objects when it is. fosite never sees a request object
// (provider/oauth verifies them first, with the client's
// RequestObjectSigningAlg).
func (c *Client) GetRequestObjectSigningAlgorithm() string { return "RS256" }

func (c *Client) GetTokenEndpointAuthMethod() string {
	if c.c.TokenEndpointAuthMethod == "" {
		if c.c.Public {
			return "none"
		}
		return "client_secret_basic"
	}
	return c.c.TokenEndpointAuthMethod
}

func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string { return "RS256" }

// GetEffectiveLifespan applies the client's own lifespans when set.
func (c *Client) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	var d time.Duration
	switch tt {
	case fosite.AccessToken:
		d = c.c.AccessTokenLifespan
	case fosite.RefreshToken:
		d = c.c.RefreshTokenLifespan
	case fosite.IDToken:
		d = c.c.IDTokenLifespan
	}
	if d > 0 {
		return d
	}
	return fallback
}
