package browser

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func post(token string, from ...*httptest.ResponseRecorder) *http.Request {
	form := url.Values{}
	if token != "" {
		form.Set(CSRFField, token)
	}
	r := httptest.NewRequest("POST", "http://id.example/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, w := range from {
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
	}
	return r
}

func TestCSRFAnonymous(t *testing.T) {
	t.Parallel()
	s := newSessions(newMemSessions(), &clock{time.Now()})
	w := httptest.NewRecorder()
	token := s.CSRFToken(w, httptest.NewRequest("GET", "http://id.example/login", nil))
	ck := cookieNamed(t, w, CSRFCookie)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Errorf("csrf cookie = %+v; want HttpOnly SameSite=Strict Path=/", ck)
	}
	if token == "" || token == ck.Value {
		t.Fatalf("token %q must be a MAC of the cookie, not the cookie", token)
	}
	// The same browser keeps its cookie and gets the same token.
	w2 := httptest.NewRecorder()
	if again := s.CSRFToken(w2, request("GET", "http://id.example/login", w)); again != token || len(w2.Result().Cookies()) != 0 {
		t.Errorf("second page: token %q (want %q), cookies %v", again, token, w2.Result().Cookies())
	}

	if err := s.CheckCSRF(post(token, w)); err != nil {
		t.Errorf("valid token refused: %v", err)
	}
	other := httptest.NewRecorder()
	otherToken := s.CSRFToken(other, httptest.NewRequest("GET", "/login", nil))
	for name, r := range map[string]*http.Request{
		"no token":                 post("", w),
		"wrong token":              post(token[:len(token)-2]+"AA", w),
		"no cookie":                post(token),
		"another browser's token":  post(otherToken, w),
		"cookie value as token":    post(ck.Value, w),
		"token under another key":  post(csrfMAC(key('x', 32), "anonymous", ck.Value), w),
		"session kind for nonce":   post(csrfMAC(mustKeys(t, s)[0], "session", ck.Value), w),
		"forged cookie and no MAC": post("AAAA", &httptest.ResponseRecorder{}),
	} {
		if err := s.CheckCSRF(r); !errors.Is(err, ErrCSRF) {
			t.Errorf("%s: err = %v, want ErrCSRF", name, err)
		}
	}
}

func mustKeys(t *testing.T, s *Sessions) [][]byte {
	t.Helper()
	k, err := s.csrfKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCSRFSessionBound(t *testing.T) {
	t.Parallel()
	c := &clock{time.Now()}
	store := newMemSessions()
	s := newSessions(store, c)
	a, b := httptest.NewRecorder(), httptest.NewRecorder()
	if _, err := s.Start(a, request("POST", "/login"), "ann", nil, c.t); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(b, request("POST", "/login"), "bob", nil, c.t); err != nil {
		t.Fatal(err)
	}
	wa := httptest.NewRecorder()
	tokenA := s.CSRFToken(wa, request("GET", "/consent", a))
	if len(wa.Result().Cookies()) != 0 {
		t.Error("a signed-in page set the anonymous csrf cookie")
	}
	if err := s.CheckCSRF(post(tokenA, a)); err != nil {
		t.Errorf("own session token refused: %v", err)
	}
	if err := s.CheckCSRF(post(tokenA, b)); !errors.Is(err, ErrCSRF) {
		t.Errorf("another session's token: err = %v, want ErrCSRF", err)
	}
	// Signing in again changes the secret, so tokens of the old session die.
	a2 := httptest.NewRecorder()
	if _, err := s.Start(a2, request("POST", "/login", a), "ann", nil, c.t); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckCSRF(post(tokenA, a2)); !errors.Is(err, ErrCSRF) {
		t.Errorf("token of the replaced session: err = %v, want ErrCSRF", err)
	}
	// A login form rendered anonymously may be posted after another tab
	// signed in: the anonymous binding still counts.
	anon := httptest.NewRecorder()
	anonToken := s.CSRFToken(anon, httptest.NewRequest("GET", "/login", nil))
	if err := s.CheckCSRF(post(anonToken, anon, a2)); err != nil {
		t.Errorf("anonymous token with a session cookie too: %v", err)
	}
	// Rotation: a token made under the previous key still passes.
	rotated := newSessions(store, c)
	rotated.HashKeys = [][]byte{key('H', 32), key('h', 32)}
	rotated.BlockKeys = [][]byte{key('B', 32), key('b', 32)}
	tokenA2 := s.CSRFToken(httptest.NewRecorder(), request("GET", "/", a2))
	if err := rotated.CheckCSRF(post(tokenA2, a2)); err != nil {
		t.Errorf("token under the previous key refused after rotation: %v", err)
	}
}

// Fetch metadata and Origin are a second line behind the token: a valid
// token from a cross-site post is still refused.
func TestCSRFCrossOrigin(t *testing.T) {
	t.Parallel()
	s := newSessions(newMemSessions(), &clock{time.Now()})
	s.Origin = "https://id.example"
	w := httptest.NewRecorder()
	token := s.CSRFToken(w, httptest.NewRequest("GET", "/login", nil))
	for _, tc := range []struct {
		name, header, value string
		ok                  bool
	}{
		{"same-origin fetch", "Sec-Fetch-Site", "same-origin", true},
		{"cross-site fetch", "Sec-Fetch-Site", "cross-site", false},
		{"same-site fetch", "Sec-Fetch-Site", "same-site", false},
		{"configured origin behind a proxy", "Origin", "https://id.example", true},
		{"other origin", "Origin", "https://evil.example", false},
		{"opaque origin", "Origin", "null", false},
	} {
		r := post(token, w)
		r.Header.Set(tc.header, tc.value)
		err := s.CheckCSRF(r)
		if tc.ok && err != nil {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, ErrCSRF) {
			t.Errorf("%s: err = %v, want ErrCSRF", tc.name, err)
		}
	}
}
