package browser

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// memSessions keeps sessions the way storage.SessionStore describes.
type memSessions struct {
	mu      sync.Mutex
	rows    map[string]storage.Session
	updates int
}

func newMemSessions() *memSessions { return &memSessions{rows: map[string]storage.Session{}} }

func (m *memSessions) CreateSession(_ context.Context, s storage.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if r.ID == s.ID || bytes.Equal(r.TokenHash, s.TokenHash) {
			return storage.ErrAlreadyExists
		}
	}
	m.rows[s.ID] = s
	return nil
}

func (m *memSessions) GetSessionByTokenHash(_ context.Context, h []byte, now time.Time) (storage.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if bytes.Equal(r.TokenHash, h) && !r.ExpiresAt.Before(now) {
			return r, nil
		}
	}
	return storage.Session{}, storage.ErrNotFound
}

func (m *memSessions) UpdateSession(_ context.Context, id string, fn func(storage.Session) (storage.Session, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[id]
	if !ok {
		return storage.ErrNotFound
	}
	r, err := fn(r)
	if err != nil {
		return err
	}
	m.rows[id] = r
	m.updates++
	return nil
}

func (m *memSessions) DeleteSession(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rows[id]; !ok {
		return storage.ErrNotFound
	}
	delete(m.rows, id)
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func key(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func newSessions(store SessionStore, c *clock) *Sessions {
	return &Sessions{
		Store:     store,
		HashKeys:  [][]byte{key('h', 32)},
		BlockKeys: [][]byte{key('b', 32)},
		Lifetime:  DefaultLifetime,
		Now:       c.now,
	}
}

// request builds a request carrying the cookies a response set.
func request(method, target string, from ...*httptest.ResponseRecorder) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for _, w := range from {
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
	}
	return r
}

func cookieNamed(t *testing.T, w *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("response set no %s cookie", name)
	return nil
}

func TestStartCurrentEnd(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	store := newMemSessions()
	s := newSessions(store, c)
	s.Secure = true

	w := httptest.NewRecorder()
	r := request("POST", "https://id.example/login")
	r.RemoteAddr = "192.0.2.10:5555"
	sess, err := s.Start(w, r, "user1", []string{"pwd"}, c.t)
	if err != nil {
		t.Fatal(err)
	}
	ck := cookieNamed(t, w, SessionCookie)
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != int(DefaultLifetime/time.Second) {
		t.Errorf("cookie attributes = %+v; want HttpOnly, Secure, SameSite=Lax, Path=/, MaxAge 24h", ck)
	}
	if sess.IP != "192.0.2.10" || sess.UserID != "user1" || !slices.Equal(sess.AMR, []string{"pwd"}) ||
		!sess.ExpiresAt.Equal(c.t.Add(DefaultLifetime)) || len(sess.TokenHash) != 32 {
		t.Errorf("session = %+v", sess)
	}
	if strings.Contains(ck.Value, sess.ID) {
		t.Error("cookie carries the public session id")
	}

	got, ok, err := s.Current(request("GET", "/", w))
	if !ok || err != nil || got.ID != sess.ID {
		t.Fatalf("Current = %v, %v, %v; want session %s", got.ID, ok, err, sess.ID)
	}
	if _, ok, _ := s.Current(request("GET", "/")); ok {
		t.Error("Current without cookie found a session")
	}

	w2 := httptest.NewRecorder()
	ended, ok, err := s.End(w2, request("POST", "/logout", w))
	if !ok || err != nil || ended.ID != sess.ID {
		t.Fatalf("End = %v, %v, %v", ended.ID, ok, err)
	}
	if ck := cookieNamed(t, w2, SessionCookie); ck.MaxAge >= 0 || ck.Value != "" {
		t.Errorf("End left cookie %+v; want it cleared", ck)
	}
	if len(store.rows) != 0 {
		t.Error("End left the session row")
	}
	if _, ok, _ := s.Current(request("GET", "/", w)); ok {
		t.Error("old cookie still works after End")
	}
	if _, ok, err := s.End(httptest.NewRecorder(), request("POST", "/logout", w)); ok || err != nil {
		t.Errorf("second End = %v, %v; want false, nil", ok, err)
	}
}

// Session fixation: signing in must never keep an id or secret the browser
// already had (OWASP Session Management: renew the id on privilege change).
func TestStartRenewsAndDropsPrevious(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	store := newMemSessions()
	s := newSessions(store, c)
	w1 := httptest.NewRecorder()
	first, err := s.Start(w1, request("POST", "/login"), "user1", []string{"pwd"}, c.t)
	if err != nil {
		t.Fatal(err)
	}
	w2 := httptest.NewRecorder()
	second, err := s.Start(w2, request("POST", "/login", w1), "user1", []string{"pwd"}, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == second.ID || bytes.Equal(first.TokenHash, second.TokenHash) {
		t.Fatal("second sign-in reused the session id or secret")
	}
	if cookieNamed(t, w1, SessionCookie).Value == cookieNamed(t, w2, SessionCookie).Value {
		t.Fatal("second sign-in reused the cookie")
	}
	if _, ok := store.rows[first.ID]; ok || len(store.rows) != 1 {
		t.Errorf("previous session row kept: %d rows", len(store.rows))
	}
	if _, ok, _ := s.Current(request("GET", "/", w1)); ok {
		t.Error("the previous cookie still signs in")
	}
}

func TestCookieTamperingAndKeyRotation(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	store := newMemSessions()
	old := newSessions(store, c)
	w := httptest.NewRecorder()
	if _, err := old.Start(w, request("POST", "/login"), "user1", nil, c.t); err != nil {
		t.Fatal(err)
	}
	ck := cookieNamed(t, w, SessionCookie)

	tampered := httptest.NewRequest("GET", "/", nil)
	v := []byte(ck.Value)
	v[len(v)/2] ^= 1
	tampered.AddCookie(&http.Cookie{Name: SessionCookie, Value: string(v)})
	if _, ok, err := old.Current(tampered); ok || err != nil {
		t.Errorf("tampered cookie: ok=%v err=%v", ok, err)
	}

	rotated := newSessions(store, c)
	rotated.HashKeys = [][]byte{key('H', 32), key('h', 32)}
	rotated.BlockKeys = [][]byte{key('B', 32), key('b', 32)}
	if _, ok, _ := rotated.Current(request("GET", "/", w)); !ok {
		t.Error("cookie made with the previous key is refused after rotation")
	}
	dropped := newSessions(store, c)
	dropped.HashKeys = [][]byte{key('H', 32)}
	dropped.BlockKeys = [][]byte{key('B', 32)}
	if _, ok, _ := dropped.Current(request("GET", "/", w)); ok {
		t.Error("cookie accepted after its key was dropped")
	}
}

func TestExpiryIdleAndTouch(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	store := newMemSessions()
	s := newSessions(store, c)
	s.Lifetime = 2 * time.Hour
	s.IdleTimeout = 30 * time.Minute
	w := httptest.NewRecorder()
	sess, err := s.Start(w, request("POST", "/login"), "user1", nil, c.t)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(30 * time.Second)
	if _, ok, _ := s.Current(request("GET", "/", w)); !ok || store.updates != 0 {
		t.Fatalf("ok=%v updates=%d; want a read without a write within the first minute", ok, store.updates)
	}
	c.t = c.t.Add(time.Minute)
	got, ok, _ := s.Current(request("GET", "/", w))
	if !ok || store.updates != 1 || !got.LastSeen.Equal(c.t) {
		t.Fatalf("ok=%v updates=%d LastSeen=%v; want LastSeen touched once", ok, store.updates, got.LastSeen)
	}
	// Keep it alive until just before the absolute lifetime.
	for c.t.Before(sess.ExpiresAt.Add(-20 * time.Minute)) {
		c.t = c.t.Add(20 * time.Minute)
		if _, ok, _ := s.Current(request("GET", "/", w)); !ok {
			t.Fatalf("session lost at %v while in use", c.t)
		}
	}
	c.t = sess.ExpiresAt.Add(time.Second)
	if _, ok, _ := s.Current(request("GET", "/", w)); ok {
		t.Error("session outlived its Lifetime")
	}

	w2 := httptest.NewRecorder()
	idle, err := s.Start(w2, request("POST", "/login"), "user1", nil, c.t)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(31 * time.Minute)
	if _, ok, _ := s.Current(request("GET", "/", w2)); ok {
		t.Error("session outlived its IdleTimeout")
	}
	if _, ok := store.rows[idle.ID]; ok {
		t.Error("idle session row not removed")
	}
}

func TestBadKeys(t *testing.T) {
	t.Parallel()
	c := &clock{time.Now()}
	for name, s := range map[string]*Sessions{
		"no keys":       {Store: newMemSessions(), Now: c.now},
		"short hash":    {Store: newMemSessions(), Now: c.now, HashKeys: [][]byte{key('h', 16)}},
		"odd block":     {Store: newMemSessions(), Now: c.now, HashKeys: [][]byte{key('h', 32)}, BlockKeys: [][]byte{key('b', 20)}},
		"count differs": {Store: newMemSessions(), Now: c.now, HashKeys: [][]byte{key('h', 32), key('i', 32)}, BlockKeys: [][]byte{key('b', 32)}},
	} {
		if _, err := s.Start(httptest.NewRecorder(), request("POST", "/login"), "u", nil, c.t); err == nil {
			t.Errorf("%s: Start succeeded", name)
		}
	}
}
