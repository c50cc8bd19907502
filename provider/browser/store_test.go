package browser

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// rowStore is a RowStore over store with newSessions' keys.
func rowStore(t *testing.T, s *Sessions) sessions.Store {
	t.Helper()
	st, err := s.RowStore()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// signIn saves a new session for user1 through the interface and returns
// the response that carries its cookie.
func signIn(t *testing.T, st sessions.Store, r *http.Request) (*sessions.Session, *httptest.ResponseRecorder) {
	t.Helper()
	gs, err := st.New(r, SessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	SignIn(gs, "user1", []string{"pwd", "otp"}, time.Date(2030, 1, 1, 11, 59, 0, 0, time.UTC))
	w := httptest.NewRecorder()
	if err := st.Save(r, w, gs); err != nil {
		t.Fatal(err)
	}
	return gs, w
}

func TestRowStoreNewAndSave(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	s := newSessions(rows, c)
	s.Secure = true
	st := rowStore(t, s)

	// No cookie: a new session, and saving it untouched writes nothing.
	r := request("GET", "/")
	gs, err := st.New(r, SessionCookie)
	if err != nil || !gs.IsNew || gs.ID != "" {
		t.Fatalf("New without cookie = %+v, %v; want a new session", gs, err)
	}
	if _, ok := RowOf(gs); ok {
		t.Error("RowOf found a row in a new session")
	}
	w := httptest.NewRecorder()
	if err := st.Save(r, w, gs); err != nil || len(w.Result().Cookies()) != 0 || len(rows.rows) != 0 {
		t.Fatalf("Save of an anonymous session: err=%v cookies=%v rows=%d; want nothing written", err, w.Result().Cookies(), len(rows.rows))
	}

	// A sign-in: Save creates the row and a cookie with today's attributes.
	r = request("POST", "/login")
	r.RemoteAddr = "192.0.2.7:4000"
	r.Header.Set("User-Agent", "Test/1.0")
	gs, w = signIn(t, st, r)
	row, ok := RowOf(gs)
	if !ok || gs.IsNew || gs.ID != row.ID || rows.rows[row.ID].UserID != "user1" {
		t.Fatalf("after Save: session %+v row %+v; want the stored row", gs, row)
	}
	if row.IP != "192.0.2.7" || row.UserAgent != "Test/1.0" || !slices.Equal(row.AMR, []string{"pwd", "otp"}) ||
		!row.CreatedAt.Equal(c.t) || !row.ExpiresAt.Equal(c.t.Add(DefaultLifetime)) {
		t.Errorf("row = %+v", row)
	}
	ck := cookieNamed(t, w, SessionCookie)
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
		ck.MaxAge != int(DefaultLifetime/time.Second) || !ck.Expires.IsZero() {
		t.Errorf("cookie attributes = %+v; want HttpOnly, Secure, SameSite=Lax, Path=/, MaxAge 24h, no Expires", ck)
	}

	// The cookie opens the same row, through New and through Current.
	again, err := st.New(request("GET", "/", w), SessionCookie)
	if err != nil || again.IsNew || again.ID != row.ID {
		t.Fatalf("New with the cookie = %+v, %v; want session %s", again, err, row.ID)
	}
	if got, ok, err := s.Current(request("GET", "/", w)); !ok || err != nil || got.ID != row.ID {
		t.Errorf("Current = %v %v %v", got.ID, ok, err)
	}

	// Values other than the row have no column to go to.
	again.Values["theme"] = "dark"
	if err := st.Save(request("GET", "/", w), httptest.NewRecorder(), again); err == nil {
		t.Error("Save kept quiet about a value it cannot store")
	}
}

// Get caches the session in gorilla's per-request registry; sessions.Save
// writes every session the request used.
func TestRowStoreGetUsesRegistry(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	st := rowStore(t, newSessions(rows, c))
	_, w := signIn(t, st, request("POST", "/login"))

	r := request("GET", "/", w)
	first, err := st.Get(r, SessionCookie)
	if err != nil || first.IsNew {
		t.Fatalf("Get = %+v, %v", first, err)
	}
	if second, _ := st.Get(r, SessionCookie); second != first {
		t.Error("second Get in one request read the session again")
	}
	first.Options.MaxAge = -1
	w2 := httptest.NewRecorder()
	if err := sessions.Save(r, w2); err != nil {
		t.Fatal(err)
	}
	if len(rows.rows) != 0 || cookieNamed(t, w2, SessionCookie).MaxAge >= 0 {
		t.Errorf("sessions.Save with MaxAge<0 left %d rows", len(rows.rows))
	}
}

func TestRowStoreSaveMaxAgeNegativeDeletes(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	st := rowStore(t, newSessions(rows, c))
	_, w := signIn(t, st, request("POST", "/login"))

	gs, err := st.New(request("GET", "/", w), SessionCookie)
	if err != nil || gs.IsNew {
		t.Fatalf("New = %+v, %v", gs, err)
	}
	gs.Options.MaxAge = -1
	w2 := httptest.NewRecorder()
	if err := st.Save(request("POST", "/logout", w), w2, gs); err != nil {
		t.Fatal(err)
	}
	if len(rows.rows) != 0 {
		t.Error("Save with MaxAge<0 kept the row")
	}
	if ck := cookieNamed(t, w2, SessionCookie); ck.Value != "" || ck.MaxAge >= 0 || ck.Path != "/" || !ck.HttpOnly {
		t.Errorf("cleared cookie = %+v", ck)
	}
	if !gs.IsNew || gs.ID != "" {
		t.Errorf("session after delete = %+v; want it new", gs)
	}
	if gs, err := st.New(request("GET", "/", w), SessionCookie); err != nil || !gs.IsNew {
		t.Errorf("the deleted session's cookie: %+v, %v; want a new session", gs, err)
	}
}

// Revoking is deleting the row (account page, admin API): the cookie, still
// validly sealed, is worth nothing afterwards.
func TestRowStoreRevokedRow(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	s := newSessions(rows, c)
	st := rowStore(t, s)
	gs, w := signIn(t, st, request("POST", "/login"))
	if err := rows.DeleteSession(t.Context(), gs.ID); err != nil {
		t.Fatal(err)
	}
	got, err := st.New(request("GET", "/", w), SessionCookie)
	if err != nil || !got.IsNew {
		t.Errorf("New after revoke = %+v, %v; want a new session", got, err)
	}
	if _, ok, err := s.Current(request("GET", "/", w)); ok || err != nil {
		t.Errorf("Current after revoke = %v, %v", ok, err)
	}
}

func TestRowStoreRefusesTamperedSecret(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	st := rowStore(t, newSessions(rows, c))
	_, w := signIn(t, st, request("POST", "/login"))
	ck := cookieNamed(t, w, SessionCookie)

	// Flipped bits in the sealed secret: no key opens it.
	v := []byte(ck.Value)
	v[len(v)/2] ^= 1
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: string(v)})
	if gs, err := st.New(r, SessionCookie); !errors.Is(err, ErrCookie) || !gs.IsNew {
		t.Errorf("tampered cookie: %+v, %v; want a new session and ErrCookie", gs, err)
	}

	// A well-sealed cookie carrying a secret of the sender's choosing
	// matches no row.
	forged := &RowStore{codecs: st.(*RowStore).codecs}
	fw := httptest.NewRecorder()
	if err := forged.setCookie(fw, sessions.NewSession(forged, SessionCookie), "guessed-secret"); err != nil {
		t.Fatal(err)
	}
	if gs, err := st.New(request("GET", "/", fw), SessionCookie); err != nil || !gs.IsNew {
		t.Errorf("cookie with a made-up secret: %+v, %v; want a new session", gs, err)
	}

	// The cookie is bound to its name: moved under another, it does not open.
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "other", Value: ck.Value})
	if gs, err := st.New(r, "other"); !errors.Is(err, ErrCookie) || !gs.IsNew {
		t.Errorf("cookie under another name: %+v, %v; want ErrCookie", gs, err)
	}
}

// Rotation: a cookie sealed with the previous key still opens; saving the
// session again seals it with the newest key, so the old key can then go.
func TestRowStoreKeyRotation(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	before := newSessions(rows, c)
	gs, w := signIn(t, rowStore(t, before), request("POST", "/login"))

	rotated := newSessions(rows, c)
	rotated.HashKeys = [][]byte{key('H', 32), key('h', 32)}
	rotated.BlockKeys = [][]byte{key('B', 32), key('b', 32)}
	st := rowStore(t, rotated)
	c.t = c.t.Add(time.Hour)
	got, err := st.New(request("GET", "/", w), SessionCookie)
	if err != nil || got.IsNew || got.ID != gs.ID {
		t.Fatalf("old cookie after rotation: %+v, %v; want session %s", got, err, gs.ID)
	}
	resealed := httptest.NewRecorder()
	if err := st.Save(request("GET", "/", w), resealed, got); err != nil {
		t.Fatal(err)
	}
	if ck := cookieNamed(t, resealed, SessionCookie); ck.MaxAge != int((DefaultLifetime-time.Hour)/time.Second) {
		t.Errorf("resealed cookie MaxAge = %d; want the row's remaining lifetime", ck.MaxAge)
	}
	if len(rows.rows) != 1 {
		t.Errorf("resealing made %d rows; want the one", len(rows.rows))
	}

	after := newSessions(rows, c)
	after.HashKeys = [][]byte{key('H', 32)}
	after.BlockKeys = [][]byte{key('B', 32)}
	newest := rowStore(t, after)
	if got, err := newest.New(request("GET", "/", resealed), SessionCookie); err != nil || got.ID != gs.ID {
		t.Errorf("resealed cookie under the newest key alone: %+v, %v", got, err)
	}
	if _, err := newest.New(request("GET", "/", w), SessionCookie); !errors.Is(err, ErrCookie) {
		t.Errorf("cookie of a dropped key: err=%v; want ErrCookie", err)
	}
}

// SignIn on a session that has a row replaces the row at Save: new id, new
// secret, the old row gone (session fixation).
func TestRowStoreSignInReplacesRow(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	st := rowStore(t, newSessions(rows, c))
	first, w1 := signIn(t, st, request("POST", "/login"))
	firstID := first.ID
	second, w2 := signIn(t, st, request("POST", "/login", w1))
	if second.ID == firstID || len(rows.rows) != 1 || rows.rows[second.ID].ID != second.ID {
		t.Fatalf("second sign-in: id %s (first %s), %d rows; want a new id and one row", second.ID, firstID, len(rows.rows))
	}
	if cookieNamed(t, w1, SessionCookie).Value == cookieNamed(t, w2, SessionCookie).Value {
		t.Error("second sign-in reused the cookie")
	}
	if gs, _ := st.New(request("GET", "/", w1), SessionCookie); !gs.IsNew {
		t.Error("the first cookie still opens a session")
	}
}

// The cookie format is the one Sessions wrote before RowStore: the secret's
// bytes sealed by securecookie under the cookie's name, no serializer. A
// browser signed in before the upgrade stays signed in.
func TestRowStoreOpensEarlierCookies(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	rows := newMemSessions()
	secret := randtoken.New()
	if err := rows.CreateSession(t.Context(), storage.Session{ID: "s1", TokenHash: randtoken.Hash(secret), UserID: "user1",
		CreatedAt: c.t, LastSeen: c.t, ExpiresAt: c.t.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	value, err := securecookie.EncodeMulti(SessionCookie, []byte(secret),
		securecookie.New(key('h', 32), key('b', 32)).SetSerializer(securecookie.NopEncoder{}))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: value})
	gs, err := rowStore(t, newSessions(rows, c)).New(r, SessionCookie)
	if err != nil || gs.ID != "s1" {
		t.Errorf("cookie in the earlier format: %+v, %v; want session s1", gs, err)
	}
}
