package storage

import (
	"context"
	"time"
)

// SigningKey is one RS256 key. PrivateKey is AEAD-encrypted by the caller;
// the store never sees it in the clear.
type SigningKey struct {
	ID        string
	Algorithm string
	// PublicJWK is the public key as a JWK, JSON.
	PublicJWK  []byte
	PrivateKey []byte
	CreatedAt  time.Time
	// ActiveFrom is when the key may start signing (published before then).
	ActiveFrom time.Time
	// RetiredAt is when another key took over signing; zero while current.
	RetiredAt time.Time
	// UnpublishAt is when the key leaves the JWKS: every token it signed
	// has expired. Zero while the key may still sign.
	UnpublishAt time.Time
}

// KeySet is the whole set of signing keys with a version for compare-and-swap.
type KeySet struct {
	Keys    []SigningKey
	Version int64
}

// KeyStore keeps the signing key set as one unit.
type KeyStore interface {
	// GetKeySet returns the current set; an empty set with Version 0 when
	// none was ever stored.
	GetKeySet(ctx context.Context) (KeySet, error)
	// UpdateKeySet reads the set, applies fn and writes the result only if
	// nobody wrote in between (Version is incremented by the store). A lost
	// race returns ErrConflict; errors from fn are returned unchanged.
	UpdateKeySet(ctx context.Context, fn func(KeySet) (KeySet, error)) error
}
