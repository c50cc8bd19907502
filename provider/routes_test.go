package provider

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/scim"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// notRouted is how the provider's catch-all (page.Site.NotFound) says that
// no route serves a path.
const notRouted = "There is nothing at this address."

// TestEveryRouteAnswers sends a request to every route provider.New
// mounts, and to every admin API route, through the real mux: none may be
// unrouted (the catch-all's 404) or refuse its own method (405). A pattern
// with a method is sent that method (a GET pattern HEAD too); a method-less
// one must answer GET or POST. Handlers may still refuse the request (a
// missing CSRF token, no session, an unknown id): that is an answer.
func TestEveryRouteAnswers(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	// A loopback issuer without SMTP mounts /dev/mail too; open client
	// registration mounts the RFC 7591 endpoints.
	issuer := "http://127.0.0.1:8080/id"
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets, cfg.RSABits, cfg.Registration = issuer, [][]byte{bytes.Repeat([]byte("p"), 32)}, 2048, true
	cfg.ClientRegistration.Enabled, cfg.ClientRegistration.Mode = true, "open"
	p, err := New(t.Context(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)

	routes := p.routes
	for _, r := range adminapi.Patterns() {
		method, path, _ := strings.Cut(r, " ")
		routes = append(routes, method+" /id"+adminapi.BasePath+path)
	}
	routes = append(routes, (&scim.Handler{Base: "/id"}).Routes()...)
	answer := func(method, path string) (int, string) {
		target := concretePaths(path)
		if strings.HasSuffix(path, "/{$}") {
			target = strings.TrimSuffix(path, "{$}") // exactly this path, not below it
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(method, "http://127.0.0.1:8080"+target, nil))
		return w.Code, w.Body.String()
	}
	routed := func(code int, body string) bool {
		return code != http.StatusMethodNotAllowed && !(code == http.StatusNotFound && strings.Contains(body, notRouted))
	}
	for _, route := range routes {
		method, path, ok := strings.Cut(route, " ")
		if !ok {
			path = route
			if path == "/id/" {
				continue // the catch-all itself
			}
			getCode, getBody := answer(http.MethodGet, path)
			postCode, postBody := answer(http.MethodPost, path)
			if !routed(getCode, getBody) && !routed(postCode, postBody) {
				t.Errorf("%s: GET %d, POST %d; want an answer to one", path, getCode, postCode)
			}
			continue
		}
		methods := []string{method}
		if method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		for _, m := range methods {
			if code, body := answer(m, path); !routed(code, body) {
				t.Errorf("%s %s: %d %.200s", m, path, code, body)
			}
		}
	}
	// And the catch-all is what the check above relies on.
	if code, body := answer(http.MethodGet, "/id/no/such/page"); code != http.StatusNotFound || !strings.Contains(body, notRouted) {
		t.Errorf("unknown path: %d %.200s", code, body)
	}
	if code, _ := answer(http.MethodPut, "/id/login"); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /login: %d, want 405", code)
	}
	t.Logf("%d routes", len(routes))
}
