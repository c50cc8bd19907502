package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	jose3 "github.com/go-jose/go-jose/v3"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/outbound"
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

// jwksFetchTimeout bounds fetching a client's jwks_uri, retries included
// (fosite's fetcher retries a failed fetch for some 15 s), while the client
// waits for its token.
const jwksFetchTimeout = 3 * time.Second

// jwksFetcher fetches a client's jwks_uri through fosite's cached fetcher
// and, like newClient, treats keys without "use" as signing keys.
type jwksFetcher struct {
	inner fosite.JWKSFetcherStrategy
	log   *slog.Logger
}

// newJWKSFetcher fetches with client (the guarded outbound client); nil
// keeps fosite's own. Failures are logged to log.
func newJWKSFetcher(client *http.Client, log *slog.Logger) *jwksFetcher {
	if client == nil {
		return &jwksFetcher{inner: fosite.NewDefaultJWKSFetcherStrategy(), log: log}
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = client
	rc.Logger = nil
	// One retry, soon: the token request waits for this fetch. A refused
	// address stays refused.
	rc.RetryMax = 1
	rc.RetryWaitMin, rc.RetryWaitMax = 200*time.Millisecond, 200*time.Millisecond
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if errors.Is(err, outbound.ErrRefused) || errors.Is(err, outbound.ErrTooLarge) {
			return false, err
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	return &jwksFetcher{inner: fosite.NewDefaultJWKSFetcherStrategy(fosite.JWKSFetcherWithHTTPClient(rc)), log: log}
}

// Resolve answers a jwks_uri that cannot be fetched or read with
// invalid_client: the keys to authenticate the client with are the
// client's to publish, and without them it is not authenticated (RFC 6749
// §5.2). fosite calls it a server error. The cause is logged for the
// operator; the client gets no detail of what this server reached.
func (f *jwksFetcher) Resolve(ctx context.Context, location string, ignoreCache bool) (*jose3.JSONWebKeySet, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	set, err := f.inner.Resolve(ctx, location, ignoreCache)
	if err != nil {
		f.log.WarnContext(ctx, "oauth: fetch a client's jwks_uri", "jwks_uri", location, "error", err)
		return nil, fosite.ErrInvalidClient.WithHint("The client's JSON Web Key Set (jwks_uri) could not be fetched.").WithWrap(err)
	}
	return withSigUse(set), nil
}

// clientAssertionType is RFC 7523 §2.2's client_assertion_type.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// authenticateClient is fosite's client authentication, except that an
// assertion whose exp, nbf or iat do not hold is invalid_client (RFC 7523
// §3, RFC 6749 §5.2): fosite returns that claim check's bare error, which
// would answer 500. Every other failure of a private_key_jwt
// authentication reaches here as an RFC 6749 error already (storage
// failures as server_error: SetClientAssertionJWT), so a bare error is
// that check's.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	c, err := s.provider.DefaultClientAuthenticationStrategy(ctx, r, form)
	if err != nil && !storageFailed(err) && form.Get("client_assertion_type") == clientAssertionType {
		if rfc := new(fosite.RFC6749Error); !errors.As(err, &rfc) {
			return nil, fosite.ErrInvalidClient.
				WithHint("The client_assertion could not be validated: check its exp, nbf and iat (RFC 7523 §3).").
				WithWrap(err).WithDebug(err.Error())
		}
	}
	return c, err
}
