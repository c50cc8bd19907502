// Package acr names how a person signed in: the RFC 8176 authentication
// method references a session collects (amr), and the authentication
// context classes (acr) Ostiary derives from them, advertises in discovery
// and lets a client ask for with acr_values (OpenID Connect Core §3.1.2.1).
//
// The classes are ordered: a session that satisfies one satisfies every
// weaker one. A class follows from the amr alone, so a session, a parked
// device grant and a refresh token's session all answer the same way.
package acr

import "slices"

// Authentication method references (RFC 8176 §2) a session can carry.
const (
	// AMRPassword: the person's password.
	AMRPassword = "pwd"
	// AMROTP: a one-time password: an authenticator-app code or a recovery
	// code (the audit log tells the two apart).
	AMROTP = "otp"
	// AMRHardwareKey: proof of possession of a passkey's key.
	AMRHardwareKey = "hwk"
	// AMRUserPresence: the authenticator tested that the person was there
	// (with a passkey, also verified them: PIN or biometric).
	AMRUserPresence = "user"
	// AMRMultiFactor: more than one factor was used.
	AMRMultiFactor = "mfa"
	// AMRFederated: an upstream identity provider signed the person in
	// (not an RFC 8176 value; what the upstream checked is its own).
	AMRFederated = "fed"
)

// Authentication context classes, weakest first.
const (
	// OneFactor: a password, or an upstream sign-in.
	OneFactor = "urn:ostiary:acr:1fa"
	// TwoFactor: a second factor (authenticator code, recovery code or
	// passkey) after a password, or a passkey with user verification, which
	// is two factors in itself (possession and PIN or biometric).
	TwoFactor = "urn:ostiary:acr:2fa"
	// PhishingResistant is "phr" of OpenID Extended Authentication Profile
	// ACR Values 1.0: a passkey, whose signature is bound to the origin, so
	// a look-alike site cannot replay it.
	PhishingResistant = "phr"
)

// Supported is every class, weakest first, as discovery lists them
// (acr_values_supported).
var Supported = []string{OneFactor, TwoFactor, PhishingResistant}

// Of returns the strongest class the methods in amr satisfy.
func Of(amr []string) string {
	switch {
	case slices.Contains(amr, AMRHardwareKey):
		return PhishingResistant
	case slices.Contains(amr, AMRMultiFactor), slices.Contains(amr, AMROTP):
		return TwoFactor
	default:
		return OneFactor
	}
}

// Satisfies reports whether a session with amr meets class want. An
// unknown class is never met.
func Satisfies(amr []string, want string) bool {
	w := slices.Index(Supported, want)
	return w >= 0 && slices.Index(Supported, Of(amr)) >= w
}

// Requested returns the class to insist on for an authorization request's
// acr_values (space-separated, in order of preference, OpenID Connect Core
// §3.1.2.1): the weakest supported class among them, since meeting any one
// of the listed classes is what the client asked for. Values Ostiary does
// not know are ignored; ok is false when none is known.
func Requested(acrValues []string) (class string, ok bool) {
	for _, c := range Supported {
		if slices.Contains(acrValues, c) {
			return c, true
		}
	}
	return "", false
}

// Stronger returns the stronger of two classes (either may be empty).
func Stronger(a, b string) string {
	if slices.Index(Supported, b) > slices.Index(Supported, a) {
		return b
	}
	return a
}

// WithFactor returns the amr of a session that had amr and has just given
// the second factor method (AMROTP, or AMRHardwareKey with
// AMRUserPresence): the union, marked AMRMultiFactor.
func WithFactor(amr []string, methods ...string) []string {
	out := slices.Clone(amr)
	for _, m := range append(methods, AMRMultiFactor) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// Passkey is the amr of a passwordless sign-in with a user-verified
// passkey.
func Passkey() []string { return []string{AMRHardwareKey, AMRUserPresence, AMRMultiFactor} }
