package page

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/storage"
)

type noUsers struct{}

func (noUsers) GetUser(context.Context, string) (storage.User, error) {
	return storage.User{}, storage.ErrNotFound
}

type noAudit struct{}

func (noAudit) AppendAudit(context.Context, storage.AuditEvent) error { return nil }

func newSite(t *testing.T, issuer string) *Site {
	t.Helper()
	s, err := New(Config{Issuer: issuer, Sessions: &browser.Sessions{}, Users: noUsers{}, Audit: noAudit{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, "https://id.example"+target, nil))
	return w
}

func TestCSPSource(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://app.example/cb?x=1":      "https://app.example",
		"http://127.0.0.1:8080/cb":        "http://127.0.0.1:8080",
		"com.example.app:/oauth2redirect": "com.example.app:",
		"javascript:alert(1)":             "",
		"data:text/html,x":                "",
		"/relative":                       "",
		"https://a.example;script-src *":  "",
		"https://a.example 'unsafe-eval'": "",
	} {
		if got := CSPSource(in); got != want {
			t.Errorf("cspSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	s := newSite(t, "https://id.example")
	mux := http.NewServeMux()
	mux.Handle(PathStatic, s.Static())
	h := Headers(mux)
	css, err := s.staticURL("ostiary.css")
	if err != nil {
		t.Fatal(err)
	}
	w := get(h, http.MethodGet, css)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want %d\n%s", w.Code, http.StatusOK, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("hashed URL Cache-Control = %q", cc)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	if w := get(h, http.MethodGet, "/static/ostiary.css?v=old"); w.Header().Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("stale version cached for %q", w.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/static/nope.css", "/static/static.go", "/static/x/ostiary.css"} {
		if w := get(h, http.MethodGet, p); w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, w.Code)
		}
	}
}

// TestMount: routes answer under the issuer's path with the page headers,
// a GET route answers HEAD, and behind the catch-all another method gets
// the 405 page with Allow, an unknown path the 404 page.
func TestMount(t *testing.T) {
	t.Parallel()
	s := newSite(t, "https://id.example/tenant/")
	mux := http.NewServeMux()
	mux.Handle("/tenant/", s.NotFound(mux))
	ok := func(w http.ResponseWriter, r *http.Request) error {
		_, _ = w.Write([]byte(r.Method))
		return nil
	}
	s.Mount(mux, []Route{Get("/a", ok), Post("/a", ok), Post("/b/{id}", ok), Get("/b/fixed", ok)})
	for _, c := range []struct {
		method, target string
		code           int
		allow          string
	}{
		{"GET", "/tenant/a", 200, ""},
		{"HEAD", "/tenant/a", 200, ""},
		{"POST", "/tenant/a", 200, ""},
		{"PUT", "/tenant/a", 405, "GET, HEAD, POST"},
		{"GET", "/tenant/nothing", 404, ""},
		{"GET", "/tenant/b/x", 405, "POST"},
		{"POST", "/tenant/b/fixed", 200, ""},
		{"DELETE", "/tenant/b/fixed", 405, "GET, HEAD, POST"},
	} {
		w := get(mux, c.method, c.target)
		if w.Code != c.code || w.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", c.method, c.target, w.Code, w.Header().Get("Allow"), c.code, c.allow)
		}
		if w.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s: no page headers", c.method, c.target)
		}
	}
	if w := get(mux, "PUT", "/tenant/a"); !strings.Contains(w.Body.String(), "This page accepts only GET and POST.") {
		t.Errorf("405 page: %s", w.Body)
	}
}
