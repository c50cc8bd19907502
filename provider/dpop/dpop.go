package dpop

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/storage"
)

// Header is the request header that carries a proof (RFC 9449 §4.1).
const Header = "DPoP"

// Type is the typ header a proof must have (RFC 9449 §4.2).
const Type = "dpop+jwt"

// Algorithms are the proof algorithms accepted, in the order discovery
// lists them (dpop_signing_alg_values_supported, RFC 9449 §5.1). none and
// every symmetric algorithm are refused (§4.2: "MUST NOT be none or an
// identifier for a symmetric algorithm").
var Algorithms = []string{string(jose.ES256), string(jose.RS256), string(jose.EdDSA)}

// DefaultWindow is how far a proof's iat may lie from the server's clock,
// either way, in provider.DefaultConfig (RFC 9449 §11.1 leaves it to the
// server: "a reasonable window").
const DefaultWindow = 5 * time.Minute

// MaxSize is the longest proof accepted: a proof carries one public key
// and a few short claims, well under this.
const MaxSize = 8 << 10

// minRSABits is the smallest RSA key accepted (RFC 7518 §3.3).
const minRSABits = 2048

// ErrInvalidProof is what every refused proof wraps: the protocol's
// invalid_dpop_proof error (RFC 9449 §5, §7.1). The message says which
// check failed and is safe to show the client.
var ErrInvalidProof = errors.New("invalid DPoP proof")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidProof, fmt.Sprintf(format, args...))
}

// Proof is a parsed proof whose signature checked.
type Proof struct {
	// JKT is the base64url SHA-256 JWK thumbprint (RFC 7638) of the key,
	// the cnf.jkt of a token bound to it (RFC 9449 §6.1).
	JKT string
	// Key is the public key from the jwk header.
	Key jose.JSONWebKey
	// Alg is the proof's signature algorithm.
	Alg                string
	JTI, HTM, HTU, ATH string
	Nonce              string
	IssuedAt           time.Time
}

type claims struct {
	JTI   *string  `json:"jti"`
	HTM   *string  `json:"htm"`
	HTU   *string  `json:"htu"`
	IAT   *float64 `json:"iat"`
	ATH   *string  `json:"ath"`
	Nonce *string  `json:"nonce"`
}

var allowedAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}

// Parse checks raw by itself: a compact JWS with one signature (§4.3
// step 2–3), typ dpop+jwt (step 4), an allowed asymmetric alg (step 5), a
// public jwk header whose key verifies the signature (steps 6–7), and the
// claims jti, htm, htu and iat present with their types (step 3). It does
// not look at the request or the clock; see [Verifier.Verify].
func Parse(raw string) (Proof, error) {
	if raw == "" {
		return Proof{}, invalid("the proof is empty")
	}
	if len(raw) > MaxSize {
		return Proof{}, invalid("the proof is longer than %d bytes", MaxSize)
	}
	if strings.Count(raw, ".") != 2 {
		return Proof{}, invalid("the proof is not a compact JWS")
	}
	jws, err := jose.ParseSignedCompact(raw, allowedAlgs)
	if err != nil {
		return Proof{}, invalid("the proof is not a JWS signed with %s", strings.Join(Algorithms, ", "))
	}
	if len(jws.Signatures) != 1 {
		return Proof{}, invalid("the proof has more than one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type {
		return Proof{}, invalid("the proof's typ is not %s", Type)
	}
	key := h.JSONWebKey
	if key == nil {
		return Proof{}, invalid("the proof has no jwk header")
	}
	if !key.Valid() || !key.IsPublic() {
		return Proof{}, invalid("the proof's jwk is not a public key")
	}
	if k, ok := key.Key.(*rsa.PublicKey); ok && k.N.BitLen() < minRSABits {
		return Proof{}, invalid("the proof's RSA key is shorter than %d bits", minRSABits)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return Proof{}, invalid("the proof's signature does not verify with its jwk")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Proof{}, invalid("the proof's claims are not a JSON object of the right types")
	}
	switch {
	case c.JTI == nil || *c.JTI == "":
		return Proof{}, invalid("the proof has no jti")
	case c.HTM == nil || *c.HTM == "":
		return Proof{}, invalid("the proof has no htm")
	case c.HTU == nil || *c.HTU == "":
		return Proof{}, invalid("the proof has no htu")
	case c.IAT == nil || math.IsNaN(*c.IAT) || math.IsInf(*c.IAT, 0) || *c.IAT < 0 || *c.IAT > 1<<40:
		return Proof{}, invalid("the proof has no valid iat")
	}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return Proof{}, invalid("the proof's jwk has no thumbprint")
	}
	sec, frac := math.Modf(*c.IAT)
	p := Proof{
		JKT: base64.RawURLEncoding.EncodeToString(tp), Key: *key, Alg: h.Algorithm,
		JTI: *c.JTI, HTM: *c.HTM, HTU: *c.HTU,
		IssuedAt: time.Unix(int64(sec), int64(frac*1e9)).UTC(),
	}
	if c.ATH != nil {
		p.ATH = *c.ATH
	}
	if c.Nonce != nil {
		p.Nonce = *c.Nonce
	}
	return p, nil
}

// ReplayStore remembers proof jtis (storage.DPoPProofStore).
type ReplayStore interface {
	UseDPoPProof(ctx context.Context, jtiHash []byte, now, expiresAt time.Time) error
}

// Verifier checks proofs against requests. Every field is required.
type Verifier struct {
	Store ReplayStore
	Now   func() time.Time
	// Window is how far iat may lie from Now, either way.
	Window time.Duration
	// Nonces, when set, makes a valid server nonce mandatory (§8).
	Nonces *Nonces
}

// Request is what a proof must match.
type Request struct {
	// Method is the request's method (htm, RFC 9449 §4.3 step 8).
	Method string
	// URL is the request's URL as the client addressed it, absolute (htu,
	// step 9); its query and fragment are ignored.
	URL string
	// AccessToken, when set, is the token presented with the proof: the
	// proof's ath must be its hash (step 11, §7.1).
	AccessToken string
	// JKT, when set, is the key the token is bound to: the proof must be
	// signed by it (step 12).
	JKT string
}

// Verify checks the DPoP header values of one request: exactly one proof
// (§4.3 step 1), valid by itself ([Parse]), for this method and URL, issued
// within the window, with the ath and key the request needs, and never
// seen before (§11.1). The jti is remembered only once every other check
// passed, so a refused proof does not use up its jti. Errors wrap
// ErrInvalidProof, except ErrUseNonce and a failure of the store.
func (v *Verifier) Verify(ctx context.Context, headers []string, req Request) (Proof, error) {
	if v.Store == nil || v.Now == nil || v.Window <= 0 {
		return Proof{}, errors.New("dpop: Verifier needs Store, Now and Window")
	}
	if len(headers) != 1 {
		return Proof{}, invalid("the request must carry exactly one DPoP header")
	}
	p, err := Parse(headers[0])
	if err != nil {
		return Proof{}, err
	}
	if p.HTM != req.Method {
		return Proof{}, invalid("the proof's htm is not %s", req.Method)
	}
	if !SameURI(p.HTU, req.URL) {
		return Proof{}, invalid("the proof's htu is not this endpoint")
	}
	now := v.Now()
	if p.IssuedAt.Before(now.Add(-v.Window)) || p.IssuedAt.After(now.Add(v.Window)) {
		return Proof{}, invalid("the proof's iat is outside the accepted window")
	}
	if req.AccessToken != "" {
		if p.ATH == "" {
			return Proof{}, invalid("the proof has no ath for the access token")
		}
		if subtle.ConstantTimeCompare([]byte(p.ATH), []byte(TokenHash(req.AccessToken))) != 1 {
			return Proof{}, invalid("the proof's ath does not match the access token")
		}
	}
	if req.JKT != "" && subtle.ConstantTimeCompare([]byte(p.JKT), []byte(req.JKT)) != 1 {
		return Proof{}, invalid("the proof is not signed by the key the token is bound to")
	}
	if v.Nonces != nil && !v.Nonces.Valid(p.Nonce, now) {
		return Proof{}, ErrUseNonce
	}
	sum := sha256.Sum256([]byte("dpop-jti\x00" + p.JKT + "\x00" + p.JTI))
	err = v.Store.UseDPoPProof(ctx, sum[:], now, p.IssuedAt.Add(v.Window+time.Second))
	if errors.Is(err, storage.ErrAlreadyExists) {
		return Proof{}, invalid("the proof was used before")
	}
	if err != nil {
		return Proof{}, fmt.Errorf("dpop: remember jti: %w", err)
	}
	return p, nil
}

// TokenHash is the ath of an access token: the base64url SHA-256 of its
// ASCII (RFC 9449 §4.2).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SameURI compares an htu with the request's URI as RFC 9449 §4.3 step 9
// says: without query and fragment, after the syntax-based normalization
// of RFC 3986 §6.2.2 (case of scheme and host, percent-encoding) and the
// scheme-based one of §6.2.3 (default port, empty path). Both must be
// absolute http or https URIs.
func SameURI(htu, uri string) bool {
	a, ok1 := normalize(htu)
	b, ok2 := normalize(uri)
	return ok1 && ok2 && a == b
}

func normalize(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" || strings.Contains(host, ":") {
		host = net.JoinHostPort(host, port)
		host = strings.TrimSuffix(host, ":")
	}
	path := u.Path // decoded: percent-encoding differences vanish
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// ErrUseNonce: the server requires a nonce (RFC 9449 §8) and the proof has
// none, or one no longer valid: the use_dpop_nonce error. The client
// retries with the nonce of the DPoP-Nonce response header.
var ErrUseNonce = errors.New("DPoP proof needs the server's nonce")

// DefaultNoncePeriod is how long one server nonce is issued; it is
// accepted for that period and the next.
const DefaultNoncePeriod = 5 * time.Minute

// Nonces issues and checks server nonces (RFC 9449 §8) without state: a
// nonce is the HMAC of its period's number, so every replica holding the
// same secret issues and accepts the same ones.
type Nonces struct {
	Secret []byte
	Period time.Duration
}

func (n *Nonces) at(period int64) string {
	m := hmac.New(sha256.New, n.Secret)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(period))
	m.Write([]byte("dpop-nonce\x00"))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (n *Nonces) period(t time.Time) int64 { return t.UnixNano() / int64(n.Period) }

// Current is the nonce to hand out at t (the DPoP-Nonce header).
func (n *Nonces) Current(t time.Time) string { return n.at(n.period(t)) }

// Valid reports whether nonce was issued at t's period or the one before.
func (n *Nonces) Valid(nonce string, t time.Time) bool {
	p := n.period(t)
	for _, q := range []int64{p, p - 1} {
		if hmac.Equal([]byte(nonce), []byte(n.at(q))) {
			return true
		}
	}
	return false
}
