package secrets

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// Purpose labels, used as HKDF info. Changing one changes every key derived
// for it, so they are fixed strings that carry a version.
const (
	PurposeCookieAuth    = "ostiary/v1/cookie-authentication"
	PurposeCookieEncrypt = "ostiary/v1/cookie-encryption"
	PurposeTokenHMAC     = "ostiary/v1/token-hmac"
	PurposeKeyEncryption = "ostiary/v1/signing-key-encryption"
	PurposeCSRF          = "ostiary/v1/csrf"
	PurposeTOTPSecret    = "ostiary/v1/totp-secret-encryption"
	// PurposeConnectorSecret seals upstream connectors' client secrets.
	PurposeConnectorSecret = "ostiary/v1/connector-secret-encryption"
	// PurposeMailBody seals the outbox's mail bodies (their links are live).
	PurposeMailBody = "ostiary/v1/mail-body-encryption"
	// PurposeDeviceCookie signs the login throttle's device cookies.
	PurposeDeviceCookie = "ostiary/v1/device-cookie"
)

// MinSecretLength is the shortest system secret worth deriving from: HKDF
// cannot add entropy, so a derived 256-bit key is only as strong as this.
const MinSecretLength = 32

// maxDerivedSize is HKDF-SHA256's output limit (RFC 5869 §2.3: 255·HashLen).
const maxDerivedSize = 255 * sha256.Size

// Derive returns one size-byte key per system secret, in the same order:
// the key derived from the current secret first, then those from older ones,
// so a verifier can accept all of them while a signer uses the first.
//
// size must be between 1 and 8160 (HKDF-SHA256's limit); anything else is a
// programming error and panics, like make with a negative length.
func Derive(system [][]byte, purpose string, size int) [][]byte {
	if size < 1 || size > maxDerivedSize {
		panic(fmt.Sprintf("secrets.Derive: size %d out of range 1..%d", size, maxDerivedSize))
	}
	if len(system) == 0 {
		return nil
	}
	out := make([][]byte, len(system))
	for i, s := range system {
		// No salt: the inputs are high-entropy secrets (RFC 5869 §3.1), and
		// a fixed salt would add nothing the purpose label does not.
		k, err := hkdf.Key(sha256.New, s, nil, purpose, size)
		if err != nil {
			// Only an out-of-range length (checked above) or FIPS 140-only
			// mode with a secret shorter than 112 bits can fail here.
			panic(fmt.Sprintf("secrets.Derive: %v", err))
		}
		out[i] = k
	}
	return out
}
