package tokens

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite/token/jwt"
)

// Keys are the provider's signing keys (provider/keys.Manager).
type Keys interface {
	// Signing returns the key that signs now.
	Signing(ctx context.Context) (kid string, key *rsa.PrivateKey, err error)
	// PublicKey returns a published key, also one no longer signing.
	PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// Signer is fosite's jwt.Signer on the provider's keys, through go-jose v4
// (fosite itself still speaks v3, ory/fosite#797). It signs ID tokens and
// access tokens with RS256 and verifies any token signed by a published key.
type Signer struct {
	keys Keys
}

var _ jwt.Signer = (*Signer)(nil)

// NewSigner signs with keys.
func NewSigner(keys Keys) *Signer { return &Signer{keys: keys} }

// typJWT is the typ of every token but access tokens
// (fositestore.TypAccessToken).
const typJWT = "JWT"

// Generate signs claims with the current key. kid always names that key: a
// kid carried in a stored session's headers is ignored (ory/hydra#3573), as
// are alg and any other header fosite might pass, except typ.
func (s *Signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	if claims == nil {
		return "", "", errors.New("oauth: sign: nil claims")
	}
	typ := typJWT
	if header != nil {
		if t, ok := header.ToMap()["typ"].(string); ok && t != "" {
			typ = t
		}
	}
	kid, key, err := s.keys.Signing(ctx)
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	payload, err := json.Marshal(map[string]any(claims))
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: encode claims: %w", err)
	}
	sig, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)),
	)
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	token, err := obj.CompactSerialize()
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	return token, token[strings.LastIndexByte(token, '.')+1:], nil
}

// Decode verifies token against the published key its kid names and
// validates exp, iat and nbf. Only RS256 is accepted. An expired token is
// returned with its verified claims AND a *jwt.ValidationError that has
// ValidationErrorExpired, which is how fosite (and VerifyIDTokenHint)
// accept an expired id_token_hint. Claims are never returned unverified.
func (s *Signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	parsed, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return &jwt.Token{}, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: err}
	}
	if len(parsed.Headers) != 1 {
		return &jwt.Token{}, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: errors.New("want exactly one signature")}
	}
	h := parsed.Headers[0]
	t := &jwt.Token{Header: map[string]any{"alg": h.Algorithm}, Claims: jwt.MapClaims{}, Method: "RS256"}
	if h.KeyID != "" {
		t.Header["kid"] = h.KeyID
	}
	for k, v := range h.ExtraHeaders {
		t.Header[string(k)] = v
	}
	if h.KeyID == "" {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: errors.New("token has no kid")}
	}
	pub, err := s.keys.PublicKey(ctx, h.KeyID)
	if err != nil {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: err}
	}
	claims := jwt.MapClaims{}
	if err := parsed.Claims(pub, &claims); err != nil {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorSignatureInvalid, Inner: err}
	}
	t.Claims = claims
	if err := claims.Valid(); err != nil {
		var ve *jwt.ValidationError
		if !errors.As(err, &ve) {
			ve = &jwt.ValidationError{Errors: jwt.ValidationErrorClaimsInvalid, Inner: err}
		}
		return t, ve
	}
	return t, nil
}

// Validate verifies token and returns its signature.
func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Hash is SHA-256, matching RS256 (at_hash, OIDC Core §3.1.3.6).
func (s *Signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

// GetSignature returns the third segment of a compact JWS.
func (s *Signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("oauth: a JWT has three segments")
	}
	return parts[2], nil
}

// GetSigningMethodLength is the SHA-256 size.
func (s *Signer) GetSigningMethodLength(context.Context) int { return sha256.Size }
