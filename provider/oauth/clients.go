package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	jose3 "github.com/go-jose/go-jose/v3"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/httpobs"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/provider/randtoken"
)

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
	return fositestore.WithSigUse(set), nil
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
	if err != nil && !fositestore.StorageFailed(err) && form.Get("client_assertion_type") == clientAssertionType {
		if rfc := new(fosite.RFC6749Error); !errors.As(err, &rfc) {
			return nil, fosite.ErrInvalidClient.
				WithHint("The client_assertion could not be validated: check its exp, nbf and iat (RFC 7523 §3).").
				WithWrap(err).WithDebug(err.Error())
		}
	}
	if err == nil && c != nil {
		// Every endpoint that authenticates clients comes here: the
		// access log names the client it established.
		httpobs.SetClientID(ctx, c.GetID())
	}
	return c, err
}

// ClientChanged drops what this process remembers of client id (its cached
// registration, and the CORS origins of every client); "" drops every
// client. A change made through this process — the admin API, the admin
// pages, dynamic client registration — calls it, and so does a store that
// announces every writer's changes (storage.ClientWatcher: PostgreSQL), so
// the change applies to the next request at once. Without such a store,
// other processes' changes wait for ClientCacheTTL.
func (s *Server) ClientChanged(id string) {
	if id == "" {
		s.clients.ForgetAll()
	} else {
		s.clients.Forget(id)
	}
	s.origins.reset()
}
