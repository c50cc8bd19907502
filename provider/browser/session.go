package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/storage"
)

// Cookie names.
const (
	SessionCookie = "ostiary_session"
	CSRFCookie    = "ostiary_csrf"
)

// DefaultLifetime is the session lifetime provider.DefaultConfig gives;
// Sessions takes no default of its own: a zero Lifetime is an error.
const DefaultLifetime = 14 * 24 * time.Hour

// touchInterval bounds how often LastSeen is written: once a minute is enough
// for the idle timeout and the account page, and keeps page views read-only.
const touchInterval = time.Minute

// SessionStore is the part of storage.SessionStore the sessions use.
type SessionStore interface {
	CreateSession(ctx context.Context, s storage.Session) error
	GetSessionByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (storage.Session, error)
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
	DeleteSession(ctx context.Context, id string) error
}

// Sessions reads, starts and ends browser sessions, through the RowStore its
// settings make.
type Sessions struct {
	Store SessionStore
	// HashKeys authenticate the cookie (at least 32 bytes each) and
	// BlockKeys encrypt it (16, 24 or 32 bytes each; the same count as
	// HashKeys, or none). The first pair is current; the rest are still
	// accepted so rotating keys does not sign everybody out.
	HashKeys  [][]byte
	BlockKeys [][]byte
	// Secure marks cookies Secure; set it whenever the issuer is https.
	Secure bool
	// Origin is the issuer's origin (scheme://host[:port]). A POST whose
	// Origin header names it passes the cross-origin check even when a
	// proxy rewrote the Host header.
	Origin string
	// Lifetime caps a session from sign-in; it must be set.
	Lifetime time.Duration
	// IdleTimeout ends a session unused for that long; zero means no limit.
	IdleTimeout time.Duration
	Now         func() time.Time
	// Proxies tells the client's address for the session's "last seen
	// from"; the zero value trusts no proxy.
	Proxies clientip.Resolver
}

// Current returns the browser's session; ok is false when the request has no
// valid, unexpired session. It reads the row afresh on every call (RowStore.New,
// not the per-request registry), so a sign-in or sign-out earlier in the same
// request is seen.
func (s *Sessions) Current(r *http.Request) (sess storage.Session, ok bool, err error) {
	st, err := s.RowStore()
	if err != nil {
		// No keys: no cookie can be valid; Start reports the misconfiguration.
		return storage.Session{}, false, nil
	}
	gs, err := st.New(r, SessionCookie)
	if errors.Is(err, ErrCookie) {
		return storage.Session{}, false, nil
	}
	if err != nil {
		return storage.Session{}, false, err
	}
	sess, ok = RowOf(gs)
	return sess, ok, nil
}

// Start signs the browser in as userID: it removes the browser's previous
// session, if any, and creates one with a new id and secret.
func (s *Sessions) Start(w http.ResponseWriter, r *http.Request, userID string, amr []string, authTime time.Time) (storage.Session, error) {
	st, err := s.RowStore()
	if err != nil {
		return storage.Session{}, err
	}
	// open, not New: the previous session is about to go, so neither its
	// idle timeout nor a touch matters.
	gs, err := st.open(r, SessionCookie)
	if err != nil && !errors.Is(err, ErrCookie) {
		return storage.Session{}, err
	}
	SignIn(gs, userID, amr, authTime)
	if err := st.Save(r, w, gs); err != nil {
		return storage.Session{}, err
	}
	sess, _ := RowOf(gs)
	return sess, nil
}

// End signs the browser out: it deletes its session row and clears the
// cookie. ok is false when there was no session to end. A session past its
// idle timeout is ended too (not just dropped), so the caller still stops its
// tokens and tells its clients.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) (storage.Session, bool, error) {
	st, err := s.RowStore()
	if err != nil {
		http.SetCookie(w, s.cookie(SessionCookie, "", -1, http.SameSiteLaxMode))
		return storage.Session{}, false, nil
	}
	gs, openErr := st.open(r, SessionCookie)
	sess, _ := RowOf(gs)
	// remove clears the cookie whatever open found.
	ok, err := st.remove(r.Context(), w, gs)
	if openErr != nil && !errors.Is(openErr, ErrCookie) {
		return storage.Session{}, false, openErr
	}
	if err != nil || !ok {
		return storage.Session{}, false, err
	}
	return sess, true, nil
}

// secret returns the session secret carried by the request's cookie, if its
// signature checks out under any of the keys.
func (s *Sessions) secret(r *http.Request) (string, bool) {
	st, err := s.RowStore()
	if err != nil {
		return "", false
	}
	secret, err := st.secret(r, SessionCookie)
	return secret, err == nil && secret != ""
}

func (s *Sessions) codecs() ([]securecookie.Codec, error) {
	if s.Lifetime <= 0 {
		return nil, fmt.Errorf("browser: session Lifetime is %v, want a positive duration", s.Lifetime)
	}
	if len(s.HashKeys) == 0 {
		return nil, errors.New("browser: no cookie hash key configured")
	}
	if len(s.BlockKeys) != 0 && len(s.BlockKeys) != len(s.HashKeys) {
		return nil, errors.New("browser: cookie block keys and hash keys differ in number")
	}
	codecs := make([]securecookie.Codec, len(s.HashKeys))
	for i, hk := range s.HashKeys {
		if len(hk) < 32 {
			return nil, fmt.Errorf("browser: cookie hash key %d is shorter than 32 bytes", i)
		}
		var bk []byte
		if len(s.BlockKeys) != 0 {
			bk = s.BlockKeys[i]
			if n := len(bk); n != 16 && n != 24 && n != 32 {
				return nil, fmt.Errorf("browser: cookie block key %d is %d bytes, want 16, 24 or 32", i, n)
			}
		}
		// A little slack over the lifetime: the row's ExpiresAt is what
		// really ends the session.
		codecs[i] = securecookie.New(hk, bk).
			SetSerializer(securecookie.NopEncoder{}).
			MaxAge(int((s.lifetime() + time.Hour) / time.Second))
	}
	return codecs, nil
}

func (s *Sessions) cookie(name, value string, maxAge int, sameSite http.SameSite) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.Secure,
		SameSite: sameSite,
	}
}

func (s *Sessions) lifetime() time.Duration { return s.Lifetime }

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RemoteIP is the client's address as Proxies tell it; the pages throttle
// and audit by it.
func (s *Sessions) RemoteIP(r *http.Request) string {
	return s.Proxies.ClientIP(r)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
