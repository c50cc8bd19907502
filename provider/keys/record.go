package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// The signing algorithms a key set may hold (RFC 7518 §3.3 and §3.4, RFC
// 8037 §3.1). Each has its own lane of keys: one signs at a time per
// algorithm, rotated, revoked and published like the others.
const (
	AlgRS256 = string(jose.RS256)
	// AlgES256 is ECDSA over P-256 with SHA-256.
	AlgES256 = string(jose.ES256)
	// AlgEdDSA is Ed25519 (the only EdDSA curve the provider makes).
	AlgEdDSA = string(jose.EdDSA)
)

// Algorithm is the default algorithm: RS256, which OpenID Connect Core
// §15.1 requires every provider to support.
const Algorithm = AlgRS256

// Supported are the algorithms Manager.Algorithms may name.
var Supported = []string{AlgRS256, AlgES256, AlgEdDSA}

// IsSupported reports whether alg is one of Supported.
func IsSupported(alg string) bool { return slices.Contains(Supported, alg) }

// Use is the JWK "use" of every published key (RFC 7517 §4.2).
const Use = "sig"

// cachedKey is one stored key with its parsed halves. It is shared between
// cache states and never changed after it is built.
type cachedKey struct {
	rec storage.SigningKey
	jwk jose.JSONWebKey // public only
	// pub is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey, as
	// rec.Algorithm says.
	pub crypto.PublicKey
	// priv is nil for keys that can no longer sign: they are not decrypted.
	priv crypto.Signer
}

// generate makes a private key for alg.
func generate(alg string, bits int) (crypto.Signer, error) {
	switch alg {
	case AlgRS256:
		// rand.Reader: since Go 1.26 crypto/rsa ignores the reader passed in
		// anyway; tests that need determinism use testing/cryptotest.
		priv, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, fmt.Errorf("generate RSA-%d key: %w", bits, err)
		}
		return priv, nil
	case AlgES256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate P-256 key: %w", err)
		}
		return priv, nil
	case AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate Ed25519 key: %w", err)
		}
		return priv, nil
	}
	return nil, fmt.Errorf("algorithm %q is not one of %v", alg, Supported)
}

// publicFor checks that pub is the kind of key alg signs with.
func publicFor(alg string, pub crypto.PublicKey) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return alg == AlgRS256
	case *ecdsa.PublicKey:
		return alg == AlgES256 && k.Curve == elliptic.P256()
	case ed25519.PublicKey:
		return alg == AlgEdDSA
	}
	return false
}

// newKey generates an alg key (bits is the RSA modulus size) and seals its
// private half under its kid. Times are left for the caller, which sets them
// inside the compare-and-swap.
func newKey(alg string, bits int, sealer Sealer) (storage.SigningKey, error) {
	priv, err := generate(alg, bits)
	if err != nil {
		return storage.SigningKey{}, err
	}
	kid := randtoken.ID()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encode private key: %w", err)
	}
	// The kid as additional data binds the sealed blob to its row: a sealed
	// key copied under another kid does not open.
	sealed, err := sealer.Seal(der, []byte(kid))
	clear(der)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("seal private key: %w", err)
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: Use})
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encode public key: %w", err)
	}
	return storage.SigningKey{ID: kid, Algorithm: alg, PublicJWK: pub, PrivateKey: sealed}, nil
}

// parseKey reads a stored key's public half and, when withPrivate, opens
// and checks its private half.
func parseKey(rec storage.SigningKey, withPrivate bool, sealer Sealer) (*cachedKey, error) {
	if !IsSupported(rec.Algorithm) {
		return nil, fmt.Errorf("key %s: algorithm %q, want one of %v", rec.ID, rec.Algorithm, Supported)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(rec.PublicJWK); err != nil {
		return nil, fmt.Errorf("key %s: public JWK: %w", rec.ID, err)
	}
	pub := jwk.Key
	if !publicFor(rec.Algorithm, pub) || jwk.KeyID != rec.ID {
		return nil, fmt.Errorf("key %s: public JWK is not an %s public key with that kid", rec.ID, rec.Algorithm)
	}
	// Publish exactly what verifiers need, whatever else the row held.
	k := &cachedKey{rec: rec, pub: pub, jwk: jose.JSONWebKey{Key: pub, KeyID: rec.ID, Algorithm: rec.Algorithm, Use: Use}}
	if !withPrivate {
		return k, nil
	}
	der, err := sealer.Open(rec.PrivateKey, []byte(rec.ID))
	if err != nil {
		return nil, fmt.Errorf("key %s: open private key (is the system secret it was sealed with still configured?): %w", rec.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("key %s: parse private key: %w", rec.ID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if ed, isEd := parsed.(ed25519.PrivateKey); isEd {
		priv, ok = ed, true // PKCS #8 gives Ed25519 keys by value
	}
	if !ok || !publicEqual(priv.Public(), pub) {
		return nil, fmt.Errorf("key %s: private key does not match its public JWK", rec.ID)
	}
	k.priv = priv
	return k, nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// algOf is the lane a stored key belongs to: rows written before the
// algorithm mattered are RS256.
func algOf(k storage.SigningKey) string {
	if k.Algorithm == "" {
		return AlgRS256
	}
	return k.Algorithm
}

// published reports whether the key is in the JWKS at now.
func published(k storage.SigningKey, now time.Time) bool {
	return k.UnpublishAt.IsZero() || now.Before(k.UnpublishAt)
}

// mayStillSign reports whether the key can be the signing key at now or
// later, and so needs its private half in memory.
func mayStillSign(k storage.SigningKey, now time.Time) bool {
	return k.RetiredAt.IsZero() || now.Before(k.RetiredAt)
}

// newerFirst orders keys by ActiveFrom, newest first, then CreatedAt and ID,
// so every replica picks the same signing key from the same set.
func newerFirst(a, b storage.SigningKey) int {
	if c := b.ActiveFrom.Compare(a.ActiveFrom); c != 0 {
		return c
	}
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	switch {
	case a.ID > b.ID:
		return -1
	case a.ID < b.ID:
		return 1
	}
	return 0
}

// signsAt reports whether now is within the key's signing period
// [ActiveFrom, RetiredAt). Rotation makes these periods follow one another,
// so at most one key signs at any instant; a key retired the instant it
// became active (two rotations at once) never signs.
func signsAt(k storage.SigningKey, now time.Time) bool {
	return !k.ActiveFrom.After(now) && mayStillSign(k, now)
}

// signingRecord returns the index of the alg key that signs at now in keys
// sorted by newerFirst, or -1.
func signingRecord(keys []storage.SigningKey, alg string, now time.Time) int {
	for i, k := range keys {
		if algOf(k) == alg && signsAt(k, now) {
			return i
		}
	}
	return -1
}
