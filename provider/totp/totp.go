package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// The parameters every authenticator app supports: the defaults of Google
// Authenticator's key URI format. Other values are widely ignored, so they
// are fixed rather than configurable.
const (
	Digits = 6
	Period = 30 * time.Second
	// SecretSize is RFC 4226's recommended 160-bit shared secret, the size
	// of an HMAC-SHA1 block output.
	SecretSize = 20
	// Skew is how many steps either side of the current one are accepted,
	// for clocks that drift (RFC 6238 §5.2 recommends at most one).
	Skew = 1
)

// Encoding is base32 without padding, the form authenticator apps accept
// for typed-in secrets.
var Encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret reads a fresh SecretSize-byte secret from rand.
func NewSecret(rand io.Reader) ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("totp: read secret: %w", err)
	}
	return b, nil
}

// Step is the time step that contains t (RFC 6238 §4.2, T0 = 0).
func Step(t time.Time) int64 {
	return t.Unix() / int64(Period/time.Second)
}

// Code is the Digits-digit code of secret for a time step.
func Code(secret []byte, step int64) string {
	return hotp(secret, uint64(step), Digits)
}

// hotp is RFC 4226 §5.3: HMAC-SHA1 of the counter, dynamic truncation, the
// low digits in decimal, zero-padded.
func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Match reports the step within Skew of now whose code equals code. It
// compares every candidate in constant time and does not stop at the first
// match, so timing tells nothing about which step (if any) matched. The
// caller must still refuse a step it accepted before.
func Match(secret []byte, code string, now time.Time) (step int64, ok bool) {
	code = Normalize(code)
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Skew; s <= cur+Skew; s++ {
		if subtle.ConstantTimeCompare([]byte(Code(secret, s)), []byte(code)) == 1 && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// Normalize removes the spaces and dashes users type into a code.
func Normalize(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

// URI is the otpauth:// key URI an authenticator app reads from a QR code:
// issuer and account label the entry in the app.
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{
		"secret":    {Encoding.EncodeToString(secret)},
		"issuer":    {issuer},
		"algorithm": {"SHA1"},
		"digits":    {fmt.Sprint(Digits)},
		"period":    {fmt.Sprint(int(Period / time.Second))},
	}
	return "otpauth://totp/" + label + "?" + q.Encode()
}
