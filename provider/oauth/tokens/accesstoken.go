package tokens

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"
	foauth2 "github.com/ory/fosite/handler/oauth2"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

// Strategy is fosite's JWT strategy with one change: an access token's
// record is keyed by the whole token, not by its signature segment.
//
// A record keyed by SHA-256 of the exact token the provider issued is then
// proof by itself that a presented token is that token, byte for byte, so
// introspection and userinfo answer from the record (which also rules
// revocation and expiry) without verifying the signature and parsing
// the claims again, a fifth of an introspection's CPU. A record keyed by the
// signature alone proves nothing about the header and payload in front of
// it: those still need the verification.
//
// Records written before this change are keyed by the signature; the store
// adapter falls back to that key, and such a record gets the full
// verification (see fositestore's GetAccessTokenSession).
//
// The record does not know whether the key that signed the token is still
// published: an emergency `keys revoke` must stop its tokens at once, so the
// short path still looks the header's kid up among the published keys (a
// map lookup in the key cache).
type Strategy struct {
	*foauth2.DefaultJWTStrategy
	keys Keys
	// successors, set with a refresh grace period, derives the refresh
	// token a refresh issues from the one presented (fositestore,
	// store_refresh.go).
	successors *fositestore.RefreshSuccessors
	// APIs, when set, give a token for one registered API (its only aud,
	// one of the APIs its client is granted) that API's lifespan.
	APIs interface {
		GetAPI(ctx context.Context, identifier string) (storage.API, error)
	}
}

var _ foauth2.CoreStrategy = Strategy{}

// NewStrategy is jwt with access token records keyed by the whole token,
// the signing key checked against keys, and, when successors is set,
// refresh tokens derived from the one a refresh presents.
func NewStrategy(jwt *foauth2.DefaultJWTStrategy, keys Keys, successors *fositestore.RefreshSuccessors) Strategy {
	return Strategy{DefaultJWTStrategy: jwt, keys: keys, successors: successors}
}

// AccessTokenSignature is the whole token when it has the three segments of
// a JWS, the key its record is stored under; otherwise empty, as fosite's
// own strategy answers for anything that is not a JWT.
func (s Strategy) AccessTokenSignature(_ context.Context, token string) string {
	if strings.Count(token, ".") != 2 {
		return ""
	}
	return token
}

// GenerateAccessToken signs the token and names the whole token as what
// fosite stores it under.
//
// It is also where a code or refresh grant's audience is settled
// (audienceOf, target.go): the code's granted audience is known only from here on.
func (s Strategy) GenerateAccessToken(ctx context.Context, req fosite.Requester) (string, string, error) {
	if err := audienceOf(req); err != nil {
		return "", "", err
	}
	if err := s.apiLifespan(ctx, req); err != nil {
		return "", "", err
	}
	token, _, err := s.DefaultJWTStrategy.GenerateAccessToken(ctx, req)
	if err != nil {
		return "", "", err
	}
	noteAccessToken(ctx, token)
	return token, token, nil
}

// GenerateRefreshToken is fosite's random refresh token, except for a
// refresh under a grace period: then the successor is derived from the
// presented token, so a racer presenting it again within the period gets
// the very same successor (fositestore, store_refresh.go).
func (s Strategy) GenerateRefreshToken(ctx context.Context, req fosite.Requester) (string, string, error) {
	if ar, ok := req.(fosite.AccessRequester); ok && s.successors != nil && ar.GetGrantTypes().ExactOne("refresh_token") {
		if parent := s.RefreshTokenSignature(ctx, req.GetRequestForm().Get("refresh_token")); parent != "" {
			token, sig := s.successors.Token(parent)
			return token, sig, nil
		}
	}
	return s.DefaultJWTStrategy.GenerateRefreshToken(ctx, req)
}

// ValidateAccessToken is called by fosite after the record was loaded. When
// the record is the one keyed by this exact token, there is nothing left to
// prove: it is active and unexpired (GetAccessTokenSession checked) and the
// token is the one it was issued as. Otherwise (a record keyed by the
// signature segment) the token is verified and its claims checked.
func (s Strategy) ValidateAccessToken(ctx context.Context, req fosite.Requester, token string) error {
	if sess, ok := req.GetSession().(*fositestore.Session); ok && sess.RecordKey() != "" &&
		subtle.ConstantTimeCompare([]byte(sess.RecordKey()), []byte(fositestore.SigKey(token))) == 1 {
		if _, _, err := s.keys.VerificationKey(ctx, headerKid(token)); err != nil {
			return fosite.ErrTokenSignatureMismatch.WithHint("The key that signed the token is no longer published.").WithWrap(err)
		}
		return nil
	}
	return s.DefaultJWTStrategy.ValidateAccessToken(ctx, req, token)
}

// headerKid is the kid of a compact JWS's protected header, or "" when the
// header does not decode (then no key has that id).
func headerKid(token string) string {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Kid
}

// apiLifespan sets the access token's expiry from its API's lifespan when
// the token is for one API its client is granted (storage.API); other
// tokens, and APIs without a lifespan, keep the client's or provider's.
func (s Strategy) apiLifespan(ctx context.Context, req fosite.Requester) error {
	aud := req.GetGrantedAudience()
	fc, ok := req.GetClient().(*fositestore.Client)
	if s.APIs == nil || len(aud) != 1 || !ok || !slices.Contains(fc.Registration().APIs, aud[0]) {
		return nil
	}
	api, err := s.APIs.GetAPI(ctx, aud[0])
	if errors.Is(err, storage.ErrNotFound) {
		// Deleting an API takes it from its clients (adminapi.DeleteAPI);
		// one gone meanwhile has no lifespan of its own.
		return nil
	} else if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebugf("API %q: %v", aud[0], err)
	}
	if api.AccessTokenLifespan > 0 {
		req.GetSession().SetExpiresAt(fosite.AccessToken, time.Now().UTC().Add(api.AccessTokenLifespan))
	}
	return nil
}
