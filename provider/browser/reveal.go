package browser

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/securecookie"
)

// RevealCookie carries a secret from the POST that made it to the one page
// view that shows it.
const RevealCookie = "ostiary_reveal"

// revealMaxAge bounds how long a browser keeps an unread secret: the
// redirect that reads it follows at once.
const revealMaxAge = 120

// Reveal hands value to the next request for path (and only that path),
// once. The cookie is encrypted and authenticated, so the secret never
// lies in the server's storage in the clear, and a reload after it was
// read shows nothing: the post/redirect/get pattern without a server-side
// copy. name binds the value to what it belongs to (a client id).
func (s *Sessions) Reveal(w http.ResponseWriter, path, name, value string) error {
	if len(s.BlockKeys) == 0 {
		return errors.New("browser: revealing a secret needs cookie encryption keys")
	}
	codecs, err := s.codecs()
	if err != nil {
		return err
	}
	enc, err := securecookie.EncodeMulti(RevealCookie, []byte(name+"\x00"+value), codecs...)
	if err != nil {
		return fmt.Errorf("browser: encode reveal cookie: %w", err)
	}
	c := s.cookie(RevealCookie, enc, revealMaxAge, http.SameSiteStrictMode)
	c.Path = path
	http.SetCookie(w, c)
	return nil
}

// TakeReveal returns the value Reveal stored for name and deletes the
// cookie; ok is false when there is none, or it was made for another name.
func (s *Sessions) TakeReveal(w http.ResponseWriter, r *http.Request, path, name string) (string, bool) {
	c, err := r.Cookie(RevealCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	gone := s.cookie(RevealCookie, "", -1, http.SameSiteStrictMode)
	gone.Path = path
	http.SetCookie(w, gone)
	codecs, err := s.codecs()
	if err != nil {
		return "", false
	}
	var b []byte
	if err := securecookie.DecodeMulti(RevealCookie, c.Value, &b, codecs...); err != nil {
		return "", false
	}
	got, value, ok := strings.Cut(string(b), "\x00")
	if !ok || got != name || value == "" {
		return "", false
	}
	return value, true
}
