// Package secrets turns the operator's system secrets into purpose-specific
// keys and seals data at rest with them.
//
// An operator configures one list of system secrets (the first is current,
// the rest are older ones still accepted). Every key the provider needs —
// cookie authentication and encryption, fosite's HMAC secret, the key that
// encrypts signing keys at rest, CSRF tokens — is derived from that list with
// HKDF-SHA256 and a purpose label, so the same secret never serves two
// purposes and rotating the system secret rotates every derived key at once.
package secrets
