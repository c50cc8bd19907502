// Package mfa is the second factor of a sign-in: enrolling an authenticator
// app (TOTP, RFC 6238), checking its codes with replay protection, and the
// single-use recovery codes that stand in for a lost device.
//
// The TOTP secret is sealed (AES-256-GCM, a key derived from the system
// secret for this purpose alone) before it reaches storage, bound to the
// user's id so a sealed secret cannot be moved to another account.
// Recovery codes are stored as SHA-256 only and shown once.
package mfa
