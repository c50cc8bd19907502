package pat

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
)

// Prefix starts every personal access token, so a leaked one is recognized
// by secret scanners and the introspection endpoint can tell it from an
// OAuth token without a database lookup.
const Prefix = "ost_pat_"

// TokenType names a personal access token as the subject_token_type of an
// RFC 8693 token exchange (§3 lets a provider define its own URIs).
const TokenType = "urn:ostiary:params:oauth:token-type:pat"

// BaseScopes may always be put on a token: they describe the user, which
// is all a token is about without an API. offline_access is never allowed:
// an exchange issues no refresh token.
var BaseScopes = []string{"openid", "profile", "email"}

// Limits on what a user types.
const (
	MaxNameLen = 100
	MaxTokens  = 50
)

// ErrInvalid marks a request the user must correct; the fault message
// says how.
var ErrInvalid = fault.Sentinel(fault.Invalid, "invalid")

// encodedLen is the length of 32 bytes in unpadded base64url.
var encodedLen = base64.RawURLEncoding.EncodedLen(32)

// New returns a fresh token (shown to the user once) and the hash to
// store.
func New() (token string, hash []byte) {
	var b [32]byte
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	token = Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, randtoken.Hash(token)
}

// Looks reports whether s has the shape of a personal access token. It
// says nothing about whether the token exists.
func Looks(s string) bool {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok || len(rest) != encodedLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// Hash is what a presented token is looked up by.
func Hash(token string) []byte { return randtoken.Hash(token) }

// CheckName trims and validates a token's name.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", ErrInvalid.New("Give the token a name.")
	}
	if utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) {
		return "", ErrInvalid.Newf("The name must be at most %d characters.", MaxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", ErrInvalid.New("The name must not contain control characters.")
		}
	}
	return name, nil
}

// CheckScopes validates the scopes asked for against those on offer and
// returns them de-duplicated, in the order of allowed.
func CheckScopes(asked, allowed []string) ([]string, error) {
	if len(asked) == 0 {
		return nil, ErrInvalid.New("Choose at least one scope.")
	}
	for _, s := range asked {
		if !slices.Contains(allowed, s) {
			return nil, ErrInvalid.Newf("Scope %q cannot be put on a personal access token.", s)
		}
	}
	var out []string
	for _, s := range allowed {
		if slices.Contains(asked, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// OfferedScopes is what a user may put on a token: BaseScopes and every
// scope registered on a client allowed to exchange tokens (those are the
// APIs a script can reach through the exchange), never offline_access.
func OfferedScopes(exchangeClientScopes ...[]string) []string {
	out := slices.Clone(BaseScopes)
	var extra []string
	for _, scopes := range exchangeClientScopes {
		for _, s := range scopes {
			if s != "offline_access" && !slices.Contains(out, s) && !slices.Contains(extra, s) {
				extra = append(extra, s)
			}
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// requestPrefix starts the OAuth request id of the tokens exchanged for a
// personal access token.
const requestPrefix = "pat-"

// RequestID is the request id (storage.TokenRecord.RequestID) shared by
// every access token exchanged for the personal access token with that id:
// revoking the PAT deactivates them by it.
func RequestID(patID string) string { return requestPrefix + patID }

// IDFromRequestID is the inverse of RequestID.
func IDFromRequestID(requestID string) (string, bool) {
	id, ok := strings.CutPrefix(requestID, requestPrefix)
	return id, ok && id != ""
}
