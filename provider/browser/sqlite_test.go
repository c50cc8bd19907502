package browser_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// The session cycle against the embedded SQLite backend: the row is found by
// the secret's hash only, renewed on sign-in, gone after End or expiry.
func TestSessionsOnSQLite(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &browser.Sessions{Store: store, HashKeys: [][]byte{bytes.Repeat([]byte{1}, 32)},
		BlockKeys: [][]byte{bytes.Repeat([]byte{2}, 32)}, Lifetime: time.Hour, Now: func() time.Time { return now }}
	with := func(w *httptest.ResponseRecorder) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		return r
	}
	if err := store.CreateUser(t.Context(), userRecord(now)); err != nil {
		t.Fatal(err)
	}

	w1 := httptest.NewRecorder()
	first, err := s.Start(w1, httptest.NewRequest("POST", "/login", nil), "u1", []string{"pwd"}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Current(with(w1))
	if !ok || err != nil || got.ID != first.ID || len(got.TokenHash) != 32 {
		t.Fatalf("Current = %+v %v %v", got.ID, ok, err)
	}
	w2 := httptest.NewRecorder()
	second, err := s.Start(w2, with(w1), "u1", []string{"pwd"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == first.ID {
		t.Fatal("sign-in reused the session id")
	}
	if _, err := store.GetSession(t.Context(), first.ID, now); err == nil {
		t.Error("previous session row kept")
	}
	if _, ok, _ := s.Current(with(w1)); ok {
		t.Error("previous cookie still valid")
	}
	// The contract counts a record expired once ExpiresAt is before now.
	now = now.Add(time.Hour + time.Second)
	if _, ok, _ := s.Current(with(w2)); ok {
		t.Error("session outlived its lifetime")
	}
	now = now.Add(-2 * time.Minute)
	if _, ok, err := s.End(httptest.NewRecorder(), with(w2)); !ok || err != nil {
		t.Fatalf("End = %v %v", ok, err)
	}
	if _, err := store.GetSession(t.Context(), second.ID, now); err == nil {
		t.Error("End kept the row")
	}
}

func userRecord(now time.Time) storage.User {
	return storage.User{ID: "u1", Email: "u1@example.com", CreatedAt: now, UpdatedAt: now}
}

// The RowStore's sessions are the database rows: a sign-in saved through
// the sessions.Store interface is listed for its user, and revoking the row
// (as the account page and the admin API do) makes the cookie worthless.
func TestRowStoreOnSQLite(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	if err := store.CreateUser(t.Context(), userRecord(now)); err != nil {
		t.Fatal(err)
	}
	s := &browser.Sessions{Store: store, HashKeys: [][]byte{bytes.Repeat([]byte{1}, 32)},
		BlockKeys: [][]byte{bytes.Repeat([]byte{2}, 32)}, Lifetime: browser.DefaultLifetime, Now: func() time.Time { return now }}
	var st sessions.Store
	st, err := s.RowStore()
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/login", nil)
	gs, err := st.New(r, browser.SessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	browser.SignIn(gs, "u1", []string{"pwd"}, now)
	w := httptest.NewRecorder()
	if err := st.Save(r, w, gs); err != nil {
		t.Fatal(err)
	}
	listed, err := store.ListSessionsByUser(t.Context(), "u1", now)
	if err != nil || len(listed) != 1 || listed[0].ID != gs.ID {
		t.Fatalf("ListSessionsByUser = %+v, %v; want the saved session %s", listed, err, gs.ID)
	}
	read := httptest.NewRequest("GET", "/", nil)
	read.AddCookie(w.Result().Cookies()[0])
	if got, err := st.New(read, browser.SessionCookie); err != nil || got.ID != gs.ID {
		t.Fatalf("New = %+v, %v", got, err)
	}
	if err := store.DeleteSession(t.Context(), gs.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := st.New(read, browser.SessionCookie); err != nil || !got.IsNew {
		t.Errorf("New after revoke = %+v, %v; want a new session", got, err)
	}
}
