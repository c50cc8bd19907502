package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	jose3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// client is a storage.Client as fosite sees it.
type client struct {
	c    storage.Client
	jwks *jose3.JSONWebKeySet
	// defaultAudience is Config.DefaultAudience.
	defaultAudience string
}

var (
	_ fosite.Client                         = (*client)(nil)
	_ fosite.OpenIDConnectClient            = (*client)(nil)
	_ fosite.ResponseModeClient             = (*client)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*client)(nil)
)

// supportedGrants are the only grants any client may use: no implicit, no
// password (RFC 9700 §2.1.2, §2.4).
var supportedGrants = []string{"authorization_code", "refresh_token", "client_credentials", GrantTypeTokenExchange}

func newClient(c storage.Client) *client {
	fc := &client{c: c}
	if len(c.JWKS) > 0 {
		var set jose3.JSONWebKeySet
		// A malformed document leaves the client without keys, so
		// private_key_jwt fails with invalid_client rather than a 500.
		if err := json.Unmarshal(c.JWKS, &set); err == nil {
			fc.jwks = withSigUse(&set)
		}
	}
	return fc
}

// withSigUse marks keys without "use" as signing keys: fosite only accepts
// use=sig, while a JWKS often leaves it out (RFC 7517 §4.2 makes it optional).
func withSigUse(set *jose3.JSONWebKeySet) *jose3.JSONWebKeySet {
	out := &jose3.JSONWebKeySet{Keys: make([]jose3.JSONWebKey, 0, len(set.Keys))}
	for _, k := range set.Keys {
		if k.Use == "" {
			k.Use = "sig"
		}
		out.Keys = append(out.Keys, k)
	}
	return out
}

func (c *client) GetID() string               { return c.c.ID }
func (c *client) GetHashedSecret() []byte     { return c.c.SecretHash }
func (c *client) GetRedirectURIs() []string   { return c.c.RedirectURIs }
func (c *client) GetScopes() fosite.Arguments { return c.c.Scopes }
func (c *client) IsPublic() bool              { return c.c.Public }

// GetAudience is what the client's tokens may be for: its registered
// audiences or, when it has none, the provider's default audience. fosite
// checks requested audiences against it, and a token that names no
// resource gets all of it, so every access token has the aud RFC 9068 §2.2
// requires.
func (c *client) GetAudience() fosite.Arguments {
	if len(c.c.Audiences) == 0 && c.defaultAudience != "" {
		return fosite.Arguments{c.defaultAudience}
	}
	return c.c.Audiences
}

func (c *client) GetGrantTypes() fosite.Arguments {
	var out fosite.Arguments
	for _, g := range c.c.GrantTypes {
		if slices.Contains(supportedGrants, g) {
			out = append(out, g)
		}
	}
	if len(c.c.GrantTypes) == 0 {
		out = fosite.Arguments{"authorization_code"}
	}
	return out
}

// GetResponseTypes is always just code: no implicit or hybrid flow.
func (c *client) GetResponseTypes() fosite.Arguments { return fosite.Arguments{"code"} }

func (c *client) GetResponseModes() []fosite.ResponseModeType {
	return []fosite.ResponseModeType{fosite.ResponseModeQuery, fosite.ResponseModeFormPost}
}

func (c *client) GetRequestURIs() []string { return nil }

func (c *client) GetJSONWebKeys() *jose3.JSONWebKeySet { return c.jwks }
func (c *client) GetJSONWebKeysURI() string            { return c.c.JWKSURI }

// GetRequestObjectSigningAlgorithm is never empty: fosite accepts unsigned
// request objects when it is.
func (c *client) GetRequestObjectSigningAlgorithm() string { return "RS256" }

func (c *client) GetTokenEndpointAuthMethod() string {
	if c.c.TokenEndpointAuthMethod == "" {
		if c.c.Public {
			return "none"
		}
		return "client_secret_basic"
	}
	return c.c.TokenEndpointAuthMethod
}

func (c *client) GetTokenEndpointAuthSigningAlgorithm() string { return "RS256" }

// GetEffectiveLifespan applies the client's own lifespans when set.
func (c *client) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
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

// sha256Hasher compares client secrets against their stored SHA-256 in
// constant time. Client secrets are 256-bit random, so a slow hash buys
// nothing and would cost a bcrypt on every token request.
type sha256Hasher struct{}

var errSecretMismatch = errors.New("client secret does not match")

func (sha256Hasher) Compare(_ context.Context, hash, data []byte) error {
	if !randtoken.Equal(hash, string(data)) {
		return errSecretMismatch
	}
	return nil
}

func (sha256Hasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	return randtoken.Hash(string(data)), nil
}

// jwksFetcher fetches a client's jwks_uri through fosite's cached fetcher
// and, like newClient, treats keys without "use" as signing keys.
type jwksFetcher struct {
	inner fosite.JWKSFetcherStrategy
}

func (f *jwksFetcher) Resolve(ctx context.Context, location string, ignoreCache bool) (*jose3.JSONWebKeySet, error) {
	set, err := f.inner.Resolve(ctx, location, ignoreCache)
	if err != nil {
		return nil, err
	}
	return withSigUse(set), nil
}
