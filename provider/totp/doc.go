// Package totp computes and checks time-based one-time passwords (RFC 6238:
// HMAC-SHA1, 6 digits, 30-second steps), the codes authenticator apps show,
// and builds the otpauth:// URI those apps read from a QR code.
//
// It knows nothing of storage: callers keep the secret (sealed) and the last
// accepted step, and refuse a step that is not newer than it (replay).
package totp
