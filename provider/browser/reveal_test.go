package browser

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRevealOnceForOneName(t *testing.T) {
	t.Parallel()
	s := newSessions(newMemSessions(), &clock{time.Now()})
	w := httptest.NewRecorder()
	if err := s.Reveal(w, "/admin/clients/abc", "abc", "the-secret"); err != nil {
		t.Fatal(err)
	}
	ck := cookieNamed(t, w, RevealCookie)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin/clients/abc" || ck.MaxAge <= 0 || ck.MaxAge > 300 {
		t.Fatalf("reveal cookie = %+v", ck)
	}
	if strings.Contains(ck.Value, "the-secret") {
		t.Fatal("the secret is readable in the cookie")
	}
	// Another name (another client) gets nothing, and the cookie is spent.
	w2 := httptest.NewRecorder()
	if v, ok := s.TakeReveal(w2, request("GET", "http://id.example/admin/clients/abc", w), "/admin/clients/abc", "xyz"); ok {
		t.Fatalf("revealed %q for another name", v)
	}
	w3 := httptest.NewRecorder()
	v, ok := s.TakeReveal(w3, request("GET", "http://id.example/admin/clients/abc", w), "/admin/clients/abc", "abc")
	if !ok || v != "the-secret" {
		t.Fatalf("TakeReveal = %q, %v", v, ok)
	}
	if gone := cookieNamed(t, w3, RevealCookie); gone.MaxAge >= 0 || gone.Path != "/admin/clients/abc" {
		t.Fatalf("cookie not deleted: %+v", gone)
	}
	// A forged cookie is ignored.
	r := httptest.NewRequest("GET", "http://id.example/admin/clients/abc", nil)
	r.AddCookie(&http.Cookie{Name: RevealCookie, Value: "forged"})
	if _, ok := s.TakeReveal(httptest.NewRecorder(), r, "/admin/clients/abc", "abc"); ok {
		t.Fatal("a forged cookie revealed something")
	}
}

func TestRevealNeedsEncryption(t *testing.T) {
	t.Parallel()
	s := newSessions(newMemSessions(), &clock{time.Now()})
	s.BlockKeys = nil
	if err := s.Reveal(httptest.NewRecorder(), "/x", "a", "secret"); err == nil {
		t.Fatal("revealed a secret in a cookie that is only signed")
	}
}
