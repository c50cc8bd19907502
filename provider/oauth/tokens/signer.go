package tokens

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	jose3 "github.com/go-jose/go-jose/v3"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite/token/jwt"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
)

// Keys are the provider's signing keys (provider/keys.Manager).
type Keys interface {
	// SigningKey returns the alg key that signs now.
	SigningKey(ctx context.Context, alg string) (kid string, key crypto.Signer, err error)
	// VerificationKey returns a published key, also one no longer signing,
	// and the only alg it verifies.
	VerificationKey(ctx context.Context, kid string) (alg string, pub crypto.PublicKey, err error)
}

// The JWS algorithms the provider signs with (keys.Supported). RS256 is
// every token's default.
const (
	AlgRS256 = string(jose.RS256)
	AlgES256 = string(jose.ES256)
	AlgEdDSA = string(jose.EdDSA)
)

// verifiable are the algorithms Decode accepts, each only with a key of
// that algorithm.
var verifiable = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// Signer is fosite's jwt.Signer on the provider's keys, through go-jose v4
// (fosite itself still speaks v3, ory/fosite#797). It signs access tokens
// with the operator's access token algorithm (RS256 unless set), ID tokens
// with the algorithm their client registered (WithIDTokenAlg; RS256 by
// default), and verifies any token signed by a published key.
type Signer struct {
	keys      Keys
	accessAlg string
}

var _ jwt.Signer = (*Signer)(nil)

// NewSigner signs with keys, access tokens with accessAlg ("" is RS256).
func NewSigner(keys Keys, accessAlg string) *Signer {
	if accessAlg == "" {
		accessAlg = AlgRS256
	}
	return &Signer{keys: keys, accessAlg: accessAlg}
}

// issue is what one token response's signatures need to know beyond the
// claims: the ID token's algorithm, and the access token it is issued with
// (for an EdDSA at_hash).
type issue struct {
	idTokenAlg  string
	accessToken string
}

type issueKey struct{}

// WithIDTokenAlg returns ctx in which ID tokens are signed with alg, the
// client's id_token_signed_response_alg ("" is RS256).
func WithIDTokenAlg(ctx context.Context, alg string) context.Context {
	return context.WithValue(ctx, issueKey{}, &issue{idTokenAlg: alg})
}

func issueOf(ctx context.Context) *issue {
	is, _ := ctx.Value(issueKey{}).(*issue)
	return is
}

// noteAccessToken remembers the access token of this response, for the ID
// token's at_hash.
func noteAccessToken(ctx context.Context, token string) {
	if is := issueOf(ctx); is != nil {
		is.accessToken = token
	}
}

// algFor is the algorithm a token of type typ is signed with.
func (s *Signer) algFor(ctx context.Context, typ string) string {
	if strings.EqualFold(typ, fositestore.TypAccessToken) {
		return s.accessAlg
	}
	if is := issueOf(ctx); is != nil && is.idTokenAlg != "" {
		return is.idTokenAlg
	}
	return AlgRS256
}

// atHash is OpenID Connect Core §3.1.3.6's at_hash for alg: the left half
// of the hash the alg uses, which for Ed25519 is SHA-512 (as go-oidc and
// the errata set 2 text read it); fosite computes SHA-256 whatever the alg.
func atHash(alg, accessToken string) string {
	if alg == AlgEdDSA {
		sum := sha512.Sum512([]byte(accessToken))
		return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	}
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// typJWT is the typ of every token but access tokens
// (fositestore.TypAccessToken).
const typJWT = "JWT"

// Generate signs claims with the current key of the token's algorithm
// (algFor). kid and alg always name that key: a kid carried in a stored
// session's headers is ignored (ory/hydra#3573), as are alg and any other
// header fosite might pass, except typ.
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
	alg := s.algFor(ctx, typ)
	kid, key, err := s.keys.SigningKey(ctx, alg)
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	if _, ok := claims["at_hash"]; ok && alg == AlgEdDSA {
		if is := issueOf(ctx); is != nil && is.accessToken != "" {
			claims["at_hash"] = atHash(alg, is.accessToken)
		}
	}
	payload, err := json.Marshal(map[string]any(claims))
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: encode claims: %w", err)
	}
	sig, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg}},
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
// validates exp, iat and nbf. RS256, ES256 and EdDSA are accepted, each only
// from a key of that algorithm (the header's alg must be the key's). An expired token is
// returned with its verified claims AND a *jwt.ValidationError that has
// ValidationErrorExpired, which is how fosite (and VerifyIDTokenHint)
// accept an expired id_token_hint. Claims are never returned unverified.
func (s *Signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	parsed, err := josejwt.ParseSigned(token, verifiable)
	if err != nil {
		return &jwt.Token{}, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: err}
	}
	if len(parsed.Headers) != 1 {
		return &jwt.Token{}, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: errors.New("want exactly one signature")}
	}
	h := parsed.Headers[0]
	t := &jwt.Token{Header: map[string]any{"alg": h.Algorithm}, Claims: jwt.MapClaims{}, Method: jose3.SignatureAlgorithm(h.Algorithm)}
	if h.KeyID != "" {
		t.Header["kid"] = h.KeyID
	}
	for k, v := range h.ExtraHeaders {
		t.Header[string(k)] = v
	}
	if h.KeyID == "" {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: errors.New("token has no kid")}
	}
	alg, pub, err := s.keys.VerificationKey(ctx, h.KeyID)
	if err != nil {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: err}
	}
	if alg != h.Algorithm || !slices.Contains(verifiable, jose.SignatureAlgorithm(alg)) {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorSignatureInvalid,
			Inner: fmt.Errorf("token says %s, its key %s is %s", h.Algorithm, h.KeyID, alg)}
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

// Hash is SHA-256, matching RS256 and ES256 (fosite's own hashes; the
// at_hash of an EdDSA ID token is set in Generate).
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
