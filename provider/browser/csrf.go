package browser

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// CSRFField is the form field that carries the token.
const CSRFField = "csrf_token"

// ErrCSRF: a form post without a valid token, or from another site. Callers
// answer 403.
var ErrCSRF = errors.New("browser: cross-site request refused")

// csrfCookieMaxAge keeps an anonymous form token valid long enough for a slow
// sign-in, and no longer.
const csrfCookieMaxAge = 12 * 60 * 60

// CSRFToken returns the token to put in the page's forms. With a session
// cookie the token is bound to that session; without one it is bound to a
// random value in the ostiary_csrf cookie, which it sets when missing. Call it
// once per response, before writing the body.
func (s *Sessions) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	keys, err := s.csrfKeys()
	if err != nil {
		// No keys: every check fails too, and Start reports the misconfiguration.
		return ""
	}
	if secret, ok := s.secret(r); ok {
		return csrfMAC(keys[0], "session", secret)
	}
	nonce, ok := anonNonce(r)
	if !ok {
		var b [32]byte
		_, _ = rand.Read(b[:])
		nonce = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, s.cookie(CSRFCookie, nonce, csrfCookieMaxAge, http.SameSiteStrictMode))
	}
	return csrfMAC(keys[0], "anonymous", nonce)
}

// CheckCSRF refuses a state-changing request that another site could have
// made: one the browser marks cross-site or cross-origin (Sec-Fetch-Site,
// Origin), or one whose form token matches neither the session nor the
// anonymous cookie under any current or previous key. It reads the form.
func (s *Sessions) CheckCSRF(r *http.Request) error {
	cop := http.NewCrossOriginProtection()
	if s.Origin != "" {
		if err := cop.AddTrustedOrigin(s.Origin); err != nil {
			return fmt.Errorf("browser: bad Origin setting: %w", err)
		}
	}
	if err := cop.Check(r); err != nil {
		return fmt.Errorf("%w: %v", ErrCSRF, err)
	}
	got := r.PostFormValue(CSRFField)
	if got == "" {
		return fmt.Errorf("%w: no form token", ErrCSRF)
	}
	keys, err := s.csrfKeys()
	if err != nil {
		return err
	}
	var bound []string // "kind", "value" pairs this browser can prove
	if secret, ok := s.secret(r); ok {
		bound = append(bound, "session", secret)
	}
	if nonce, ok := anonNonce(r); ok {
		bound = append(bound, "anonymous", nonce)
	}
	// A form rendered before sign-in may be posted after another tab signed
	// in, so either binding is accepted; both are unguessable to other sites.
	match := false
	for _, k := range keys {
		for i := 0; i < len(bound); i += 2 {
			want := csrfMAC(k, bound[i], bound[i+1])
			if hmac.Equal([]byte(got), []byte(want)) {
				match = true
			}
		}
	}
	if !match {
		return fmt.Errorf("%w: form token does not match", ErrCSRF)
	}
	return nil
}

// csrfKeys derives one form-token key per cookie hash key, so the token
// rotates with the cookie keys and never equals a cookie MAC.
func (s *Sessions) csrfKeys() ([][]byte, error) {
	if len(s.HashKeys) == 0 {
		return nil, errors.New("browser: no cookie hash key configured")
	}
	keys := make([][]byte, len(s.HashKeys))
	for i, hk := range s.HashKeys {
		m := hmac.New(sha256.New, hk)
		m.Write([]byte("ostiary csrf token key v1"))
		keys[i] = m.Sum(nil)
	}
	return keys, nil
}

func csrfMAC(key []byte, kind, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func anonNonce(r *http.Request) (string, bool) {
	c, err := r.Cookie(CSRFCookie)
	if err != nil {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != 32 {
		return "", false
	}
	return c.Value, true
}
