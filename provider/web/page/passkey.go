package page

import (
	"net/http"
	"time"
)

// PasskeyCookie carries the random secret of a WebAuthn ceremony in
// progress (its hash names the ceremony in the database), so any replica
// can finish it and only this browser can. Each ceremony's cookie is
// scoped to the path of the call that finishes it.
const PasskeyCookie = "ostiary_passkey"

// MaxPasskeyResponse bounds the credential JSON a page's script posts: a
// few kilobytes in practice (attestation none); the form as a whole is
// bounded by textcheck.MaxBody.
const MaxPasskeyResponse = 16 << 10

// Next is the answer of a finished passkey call: where the browser
// goes next.
type Next struct {
	Redirect string `json:"redirect"`
}

// SetPasskeyCookie keeps secret for the call at local (a path under the
// issuer) for maxAge.
func (s *Site) SetPasskeyCookie(w http.ResponseWriter, local, secret string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: PasskeyCookie, Value: secret, Path: s.Path(local), MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: s.sessions.Secure, SameSite: http.SameSiteStrictMode})
}

// TakePasskeySecret reads the ceremony's secret and clears the cookie: a
// ceremony is answered once.
func (s *Site) TakePasskeySecret(w http.ResponseWriter, r *http.Request, local string) string {
	http.SetCookie(w, &http.Cookie{Name: PasskeyCookie, Path: s.Path(local), MaxAge: -1, HttpOnly: true,
		Secure: s.sessions.Secure, SameSite: http.SameSiteStrictMode})
	if c, err := r.Cookie(PasskeyCookie); err == nil {
		return c.Value
	}
	return ""
}

// PasskeyResponse is the credential the page's script posted (the form
// field "credential"), or an error to answer.
func PasskeyResponse(r *http.Request) ([]byte, error) {
	c := r.PostFormValue("credential")
	if c == "" || len(c) > MaxPasskeyResponse {
		return nil, Show(http.StatusBadRequest, "No passkey answer", "The browser sent no passkey. Try again.")
	}
	return []byte(c), nil
}
