package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealVersion is the first byte of every sealed blob. It names the format
// (AES-256-GCM, 96-bit random nonce) so a later format can be told apart.
const sealVersion byte = 1

const (
	// SealKeySize is the key length NewSealer takes: AES-256.
	SealKeySize = 32
	nonceSize   = 12
	tagSize     = 16
)

// ErrOpen is returned by Open when no key authenticates the ciphertext: it
// was tampered with, sealed under another additional-data value, or sealed
// with a key that is no longer configured.
var ErrOpen = errors.New("secrets: cannot open sealed data")

// Sealer encrypts small values at rest (private signing keys) with
// AES-256-GCM. The first key seals; every key is tried when opening, so data
// sealed before a system-secret rotation still opens while the old secret
// is configured.
type Sealer struct {
	aeads []cipher.AEAD
}

// NewSealer builds a Sealer from SealKeySize-byte keys, current first
// (typically Derive(system, PurposeKeyEncryption, SealKeySize)).
func NewSealer(keys [][]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("secrets: NewSealer needs at least one key")
	}
	s := &Sealer{aeads: make([]cipher.AEAD, len(keys))}
	for i, k := range keys {
		if len(k) != SealKeySize {
			return nil, fmt.Errorf("secrets: sealing key %d is %d bytes, want %d", i, len(k), SealKeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secrets: sealing key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secrets: sealing key %d: %w", i, err)
		}
		s.aeads[i] = aead
	}
	return s, nil
}

// Seal encrypts plaintext bound to additionalData, which is not stored: Open
// must be given the same value (for a signing key, its kid, so a sealed key
// cannot be moved to another row). The result is version || nonce ||
// ciphertext || tag.
func (s *Sealer) Seal(plaintext, additionalData []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+tagSize)
	out[0] = sealVersion
	// Random nonces are safe here: the number of values sealed under one key
	// (signing keys, a handful a year; mail bodies, one per mail sent) is
	// nowhere near GCM's 2^32 bound.
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("secrets: seal: read nonce: %w", err)
	}
	return s.aeads[0].Seal(out, out[1:1+nonceSize], plaintext, sealAD(additionalData)), nil
}

// Open decrypts what Seal produced with any configured key. It returns
// ErrOpen (wrapped) when the data is malformed, tampered with, or sealed
// under a different key or additional data.
func (s *Sealer) Open(ciphertext, additionalData []byte) ([]byte, error) {
	if len(ciphertext) < 1+nonceSize+tagSize {
		return nil, fmt.Errorf("%w: too short (%d bytes)", ErrOpen, len(ciphertext))
	}
	if ciphertext[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrOpen, ciphertext[0])
	}
	nonce, body := ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:]
	ad := sealAD(additionalData)
	for _, aead := range s.aeads {
		if pt, err := aead.Open(nil, nonce, body, ad); err == nil {
			return pt, nil
		}
	}
	return nil, ErrOpen
}

// sealAD prefixes the caller's additional data with the format version so
// the version byte is authenticated too.
func sealAD(additionalData []byte) []byte {
	ad := make([]byte, 1+len(additionalData))
	ad[0] = sealVersion
	copy(ad[1:], additionalData)
	return ad
}
