package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// ErrCookie: the request carries a session cookie that none of the keys
// opens (tampered, made for another cookie name, or sealed with a key no
// longer configured). RowStore.New returns it beside a new session, as
// gorilla's own stores do; a browser showing one is simply not signed in.
var ErrCookie = errors.New("browser: session cookie does not open")

// RowStore is the sessions.Store of the browser session. Its cookie carries
// only the random session secret, sealed by securecookie under the newest
// key and opened under any configured one; the session itself is the
// storage.Session row found by the secret's SHA-256, so the account page and
// the admin API can list and revoke it, and a revoked row leaves the cookie
// worth nothing.
//
// A session's Values are the row, not free-form data: RowOf reads it, SignIn
// sets who signs in, and Save refuses any other value rather than drop it.
// Columns that change after sign-in (active organization, upstream IdP) are
// written through storage.SessionStore.UpdateSession.
type RowStore struct {
	rows        SessionStore
	codecs      []securecookie.Codec
	options     sessions.Options
	lifetime    time.Duration
	idleTimeout time.Duration
	now         func() time.Time
	proxies     clientip.Resolver
}

var _ sessions.Store = (*RowStore)(nil)

// The keys of a session's Values. They are unexported types, so only this
// package reads or writes them.
type (
	rowKey      struct{} // storage.Session: the row, or the sign-in to create
	secretKey   struct{} // string: the secret the cookie carries
	replacesKey struct{} // string: the id of the row a sign-in replaces
)

// RowStore returns the sessions.Store built from the Sessions' settings; it
// fails when the keys are missing or malformed.
func (s *Sessions) RowStore() (*RowStore, error) {
	codecs, err := s.codecs()
	if err != nil {
		return nil, err
	}
	return &RowStore{
		rows:   s.Store,
		codecs: codecs,
		options: sessions.Options{
			Path:     "/",
			MaxAge:   int(s.lifetime() / time.Second),
			Secure:   s.Secure,
			HttpOnly: true,
			SameSite: http.SameSiteLaxMode,
		},
		lifetime:    s.lifetime(),
		idleTimeout: s.IdleTimeout,
		now:         s.now,
		proxies:     s.Proxies,
	}, nil
}

// Get returns the request's session, read once per request and cached in
// gorilla's registry (sessions.GetRegistry) for the request's other callers.
func (st *RowStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New reads the session named by the request's cookie, without the registry.
// It is a new session (IsNew) when there is no cookie, when its row is gone
// (signed out, revoked, expired) or when it was idle longer than the idle
// timeout, whose row it then deletes. It refreshes the row's LastSeen at most
// once a minute. A cookie no key opens gives a new session and ErrCookie.
func (st *RowStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess, err := st.open(r, name)
	if err != nil || sess.IsNew {
		return sess, err
	}
	ctx := r.Context()
	now := st.now()
	row := sess.Values[rowKey{}].(storage.Session)
	if st.idleTimeout > 0 && now.Sub(row.LastSeen) > st.idleTimeout {
		if err := st.rows.DeleteSession(ctx, row.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return st.fresh(name), fmt.Errorf("browser: end idle session: %w", err)
		}
		return st.fresh(name), nil
	}
	if now.Sub(row.LastSeen) < touchInterval {
		return sess, nil
	}
	err = st.rows.UpdateSession(ctx, row.ID, func(old storage.Session) (storage.Session, error) {
		old.LastSeen = now
		row = old
		return old, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return st.fresh(name), nil
	}
	if err != nil {
		return st.fresh(name), fmt.Errorf("browser: touch session: %w", err)
	}
	sess.Values[rowKey{}] = row
	return sess, nil
}

// open finds the row the request's cookie names, with neither the idle
// timeout nor a touch: what signing out needs, since a session past its idle
// timeout still has tokens to stop.
func (st *RowStore) open(r *http.Request, name string) (*sessions.Session, error) {
	sess := st.fresh(name)
	secret, err := st.secret(r, name)
	if err != nil || secret == "" {
		return sess, err
	}
	row, err := st.rows.GetSessionByTokenHash(r.Context(), randtoken.Hash(secret), st.now())
	if errors.Is(err, storage.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, fmt.Errorf("browser: read session: %w", err)
	}
	sess.ID, sess.IsNew = row.ID, false
	sess.Values[rowKey{}] = row
	sess.Values[secretKey{}] = secret
	// The cookie lives as long as the row, should Save write it again.
	sess.Options.MaxAge = max(1, int(row.ExpiresAt.Sub(st.now())/time.Second))
	return sess, nil
}

// Save writes the session. With Options.MaxAge < 0 it deletes the row and
// clears the cookie. A new session that SignIn filled becomes a row with a
// new id and secret (deleting the row it replaces) and a cookie carrying the
// secret; a new session nobody signed in to writes nothing, so an anonymous
// browser gets no session cookie. An existing session has its secret sealed
// again under the newest key, which is how a cookie moves off a rotated-out
// key.
func (st *RowStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	for k := range sess.Values {
		switch k.(type) {
		case rowKey, secretKey, replacesKey:
		default:
			return fmt.Errorf("browser: session value %v has no column in the session row", k)
		}
	}
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		_, err := st.remove(ctx, w, sess)
		return err
	}
	if sess.ID != "" {
		secret, _ := sess.Values[secretKey{}].(string)
		if secret == "" {
			return errors.New("browser: session has an id but no secret; it was not read by this store")
		}
		return st.setCookie(w, sess, secret)
	}
	row, _ := sess.Values[rowKey{}].(storage.Session)
	if row.UserID == "" {
		return nil
	}
	if old, _ := sess.Values[replacesKey{}].(string); old != "" {
		if err := st.rows.DeleteSession(ctx, old); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("browser: delete previous session: %w", err)
		}
		delete(sess.Values, replacesKey{})
	}
	now := st.now()
	secret := randtoken.New()
	row.ID = randtoken.ID()
	row.TokenHash = randtoken.Hash(secret)
	row.IP = st.proxies.ClientIP(r)
	row.UserAgent = truncate(r.UserAgent(), 256)
	row.CreatedAt, row.LastSeen, row.ExpiresAt = now, now, now.Add(st.lifetime)
	if err := st.rows.CreateSession(ctx, row); err != nil {
		return fmt.Errorf("browser: create session: %w", err)
	}
	sess.ID, sess.IsNew = row.ID, false
	sess.Values[rowKey{}] = row
	sess.Values[secretKey{}] = secret
	return st.setCookie(w, sess, secret)
}

// remove clears the cookie and deletes the session's row; existed is false
// when there was no row to delete. The session is new afterwards.
func (st *RowStore) remove(ctx context.Context, w http.ResponseWriter, sess *sessions.Session) (existed bool, err error) {
	opts := *sess.Options
	opts.MaxAge = -1
	http.SetCookie(w, cookieFrom(sess.Name(), "", &opts))
	id := sess.ID
	sess.ID, sess.IsNew = "", true
	clear(sess.Values)
	if id == "" {
		return false, nil
	}
	if err := st.rows.DeleteSession(ctx, id); errors.Is(err, storage.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("browser: delete session: %w", err)
	}
	return true, nil
}

func (st *RowStore) setCookie(w http.ResponseWriter, sess *sessions.Session, secret string) error {
	value, err := securecookie.EncodeMulti(sess.Name(), []byte(secret), st.codecs...)
	if err != nil {
		return fmt.Errorf("browser: encode cookie: %w", err)
	}
	http.SetCookie(w, cookieFrom(sess.Name(), value, sess.Options))
	return nil
}

// secret returns the session secret the request's cookie carries; "" and no
// error when there is no cookie.
func (st *RowStore) secret(r *http.Request, name string) (string, error) {
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return "", nil
	}
	var b []byte
	if err := securecookie.DecodeMulti(name, c.Value, &b, st.codecs...); err != nil {
		return "", fmt.Errorf("%w: %v", ErrCookie, err)
	}
	if len(b) == 0 {
		return "", ErrCookie
	}
	return string(b), nil
}

// fresh is a new, empty session with the store's cookie options.
func (st *RowStore) fresh(name string) *sessions.Session {
	sess := sessions.NewSession(st, name)
	opts := st.options
	sess.Options = &opts
	sess.IsNew = true
	return sess
}

// RowOf returns the row a session of RowStore stands for; ok is false for a
// session nobody is signed in to (or whose sign-in Save has not written yet).
func RowOf(sess *sessions.Session) (row storage.Session, ok bool) {
	row, ok = sess.Values[rowKey{}].(storage.Session)
	if !ok || sess.ID == "" {
		return storage.Session{}, false
	}
	row.AMR = slices.Clone(row.AMR)
	row.TokenHash = slices.Clone(row.TokenHash)
	return row, true
}

// SignIn makes sess the sign-in of userID, which the next Save writes as a
// new row with a new id and secret. A session that already had a row loses
// it at that Save: signing in never keeps an id or secret the browser
// already had (OWASP Session Management: renew the id on privilege change).
func SignIn(sess *sessions.Session, userID string, amr []string, authTime time.Time) {
	replaces, _ := sess.Values[replacesKey{}].(string)
	if sess.ID != "" {
		replaces = sess.ID
	}
	clear(sess.Values)
	if replaces != "" {
		sess.Values[replacesKey{}] = replaces
	}
	sess.ID, sess.IsNew = "", true
	sess.Values[rowKey{}] = storage.Session{UserID: userID, AuthTime: authTime, AMR: slices.Clone(amr)}
}

// cookieFrom is sessions.NewCookie without its Expires attribute: Max-Age
// alone is what the session cookie has always carried.
func cookieFrom(name, value string, o *sessions.Options) *http.Cookie {
	return &http.Cookie{
		Name:        name,
		Value:       value,
		Path:        o.Path,
		Domain:      o.Domain,
		MaxAge:      o.MaxAge,
		Secure:      o.Secure,
		HttpOnly:    o.HttpOnly,
		Partitioned: o.Partitioned,
		SameSite:    o.SameSite,
	}
}
