// Package dpoptest is the client side of DPoP (RFC 9449 §4) for tests: a
// key pair that signs proofs with go-jose, as a client library would. No
// DPoP client library exists in Go's module ecosystem that we could use
// instead; this one follows §4.2 to the letter and lets a test break any
// single rule of it.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is a client's DPoP key pair.
type Key struct {
	Alg    jose.SignatureAlgorithm
	Signer crypto.Signer
}

// NewKey makes a key for alg (ES256, RS256 or EdDSA).
func NewKey(tb testing.TB, alg jose.SignatureAlgorithm) *Key {
	tb.Helper()
	var (
		s   crypto.Signer
		err error
	)
	switch alg {
	case jose.ES256:
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, s, err = ed25519.GenerateKey(rand.Reader)
	default:
		tb.Fatalf("dpoptest: no key for %s", alg)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return &Key{Alg: alg, Signer: s}
}

// JKT is the key's RFC 7638 thumbprint, base64url.
func (k *Key) JKT(tb testing.TB) string {
	tb.Helper()
	jwk := jose.JSONWebKey{Key: k.Signer.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// Options change one proof. Zero values give the proof RFC 9449 §4.2
// describes; Claims and Headers override or (with a nil value) remove
// entries.
type Options struct {
	AccessToken string
	Nonce       string
	IssuedAt    time.Time
	JTI         string
	Claims      map[string]any
	Headers     map[string]any
	// JWK is the key put in the header instead of this key's public one.
	JWK any
}

// Proof signs a proof for method and url.
func (k *Key) Proof(tb testing.TB, method, url string, o Options) string {
	tb.Helper()
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	jti := o.JTI
	if jti == "" {
		jti = base64.RawURLEncoding.EncodeToString(randomBytes(tb))
	}
	c := map[string]any{"jti": jti, "htm": method, "htu": url, "iat": iat.Unix()}
	if o.AccessToken != "" {
		sum := sha256.Sum256([]byte(o.AccessToken))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if o.Nonce != "" {
		c["nonce"] = o.Nonce
	}
	for name, v := range o.Claims {
		if v == nil {
			delete(c, name)
		} else {
			c[name] = v
		}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	jwk := o.JWK
	if jwk == nil {
		jwk = k.Signer.Public()
	}
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt")
	opts.EmbedJWK = false
	opts = opts.WithHeader("jwk", jose.JSONWebKey{Key: jwk})
	for name, v := range o.Headers {
		if v == nil {
			delete(opts.ExtraHeaders, jose.HeaderKey(name))
		} else {
			opts = opts.WithHeader(jose.HeaderKey(name), v)
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Signer}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func randomBytes(tb testing.TB) []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}
