package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Algorithm is the only signing algorithm the provider issues.
const Algorithm = string(jose.RS256)

// Use is the JWK "use" of every published key (RFC 7517 §4.2).
const Use = "sig"

// cachedKey is one stored key with its parsed halves. It is shared between
// cache states and never changed after it is built.
type cachedKey struct {
	rec storage.SigningKey
	jwk jose.JSONWebKey // public only
	pub *rsa.PublicKey
	// priv is nil for keys that can no longer sign: they are not decrypted.
	priv *rsa.PrivateKey
}

// newKey generates a key and seals its private half under its kid. Times are
// left for the caller, which sets them inside the compare-and-swap.
func newKey(bits int, sealer Sealer) (storage.SigningKey, error) {
	// rand.Reader: since Go 1.26 crypto/rsa ignores the reader passed in
	// anyway; tests that need determinism use testing/cryptotest.
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("generate RSA-%d key: %w", bits, err)
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
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: Algorithm, Use: Use})
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encode public key: %w", err)
	}
	return storage.SigningKey{ID: kid, Algorithm: Algorithm, PublicJWK: pub, PrivateKey: sealed}, nil
}

// parseKey reads a stored key's public half and, when withPrivate, opens
// and checks its private half.
func parseKey(rec storage.SigningKey, withPrivate bool, sealer Sealer) (*cachedKey, error) {
	if rec.Algorithm != Algorithm {
		return nil, fmt.Errorf("key %s: algorithm %q, want %s", rec.ID, rec.Algorithm, Algorithm)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(rec.PublicJWK); err != nil {
		return nil, fmt.Errorf("key %s: public JWK: %w", rec.ID, err)
	}
	pub, ok := jwk.Key.(*rsa.PublicKey)
	if !ok || jwk.KeyID != rec.ID {
		return nil, fmt.Errorf("key %s: public JWK is not an RSA public key with that kid", rec.ID)
	}
	// Publish exactly what verifiers need, whatever else the row held.
	k := &cachedKey{rec: rec, pub: pub, jwk: jose.JSONWebKey{Key: pub, KeyID: rec.ID, Algorithm: Algorithm, Use: Use}}
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
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok || !priv.PublicKey.Equal(pub) {
		return nil, fmt.Errorf("key %s: private key does not match its public JWK", rec.ID)
	}
	k.priv = priv
	return k, nil
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

// signingRecord returns the index of the key that signs at now in keys
// sorted by newerFirst, or -1.
func signingRecord(keys []storage.SigningKey, now time.Time) int {
	for i, k := range keys {
		if signsAt(k, now) {
			return i
		}
	}
	return -1
}
