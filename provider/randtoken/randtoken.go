// Package randtoken makes the random identifiers and bearer secrets of the
// provider, and the SHA-256 digests under which secrets are stored.
package randtoken

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ID returns 128 random bits as 26 lowercase base32 characters: record ids,
// session ids, key ids. Not a secret.
func ID() string {
	var b [16]byte
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// New returns a 256-bit secret as 43 base64url characters: session cookies,
// client secrets, personal access tokens, email links.
func New() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Hash is the SHA-256 of a secret: what the database keeps instead of it.
// The secrets are 256-bit random, so a fast hash is enough.
func Hash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// Equal reports whether secret hashes to hash, in constant time.
func Equal(hash []byte, secret string) bool {
	return len(hash) == sha256.Size && subtle.ConstantTimeCompare(hash, Hash(secret)) == 1
}
