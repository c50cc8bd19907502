package provider

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// lockedBuffer collects the server's log lines from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// concretePaths turns a mux pattern into a path to request, with clean
// wildcards and a clean last segment for a subtree pattern: the "path"
// variant adds the bad byte itself, and every other variant must get past
// the path to the part it puts bad text in.
func concretePaths(path string) string {
	path = strings.ReplaceAll(path, "{$}", "")
	path = wildcard.ReplaceAllString(path, "x")
	if strings.HasSuffix(path, "/") {
		path += "x"
	}
	return path
}

// TestInvalidTextNeverReachesTheDatabase sends NUL and invalid UTF-8
// (\xff) in the path, the query, a form body, a JSON body and the headers
// the provider reads (User-Agent, X-Forwarded-For, Authorization, Origin,
// and Cookie, which net/http ignores) to every route the server mounts,
// the admin API's included, on PostgreSQL, which refuses such text with an error. No answer may be a
// 500 and no ERROR may be logged: bad input is the client's mistake, with a
// 400 in the surface's own shape.
func TestInvalidTextNeverReachesTheDatabase(t *testing.T) {
	t.Parallel()
	st, err := postgres.Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	var logs lockedBuffer
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets, cfg.Registration = issuer, [][]byte{bytes.Repeat([]byte("p"), 32)}, true
	cfg.ClientRegistration = ClientRegistrationConfig{Enabled: true, Mode: "open"}
	cfg.TrustedProxies = []string{"127.0.0.1"}
	p, err := New(t.Context(), cfg, st, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	now := time.Now()
	must(t, st.CreateClient(t.Context(), storage.Client{ID: "svc", Name: "Service", SecretHash: []byte("x"),
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"api"}, TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now}))

	routes := p.routes
	for _, r := range adminapi.Patterns() {
		method, path, _ := strings.Cut(r, " ")
		routes = append(routes, method+" "+adminapi.BasePath+path)
	}
	if len(routes) < 40 {
		t.Fatalf("only %d routes found: %v", len(routes), routes)
	}
	type variant struct {
		name string
		mk   func(method, url string) *http.Request
	}
	form := func(body string) func(method, u string) *http.Request {
		return func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}
	}
	jsonBody := func(body string) func(method, u string) *http.Request {
		return func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer x")
			return r
		}
	}
	header := func(name, value string) func(method, u string) *http.Request {
		return func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u, nil)
			r.Header.Set(name, value)
			return r
		}
	}
	fields := []string{"request", "client_id", "state", "email", "token", "code", "redirect_uri", "id", "name", "grant_type", "scope", "csrf", "password", "login_hint"}
	var badForm, nulForm []string
	for _, f := range fields {
		badForm = append(badForm, f+"=a%FFb")
		nulForm = append(nulForm, f+"=a%00b")
	}
	variants := []variant{
		{"path", func(method, u string) *http.Request { r, _ := http.NewRequest(method, u+"%00", nil); return r }},
		{"query \\xff", func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u+"?"+strings.Join(badForm, "&"), nil)
			return r
		}},
		{"query NUL", func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u+"?"+strings.Join(nulForm, "&"), nil)
			return r
		}},
		{"form \\xff", form(strings.Join(badForm, "&") + "&grant_type=client_credentials")},
		{"form NUL", form(strings.Join(nulForm, "&") + "&grant_type=client_credentials")},
		{"json \\xff", jsonBody("{\"client_name\":\"a\xffb\",\"redirect_uris\":[\"https://a.example/cb\"],\"email\":\"a\xff@x\",\"name\":\"\xff\"}")},
		{"json NUL", jsonBody(`{"client_name":"a\u0000b","redirect_uris":["https://a.example/\u0000"],"email":"a\u0000@x","name":"\u0000"}`)},
		{"basic \\xff", func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u, strings.NewReader("grant_type=client_credentials&token=x"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("sv\xffc", "secret")
			return r
		}},
		{"basic NUL", func(method, u string) *http.Request {
			r, _ := http.NewRequest(method, u, strings.NewReader("grant_type=client_credentials&token=x"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("svc\x00", "secret")
			return r
		}},
		{"user agent", header("User-Agent", "Mozilla\xff")},
		{"x-forwarded-for", header("X-Forwarded-For", "10.0.0.1\xff")},
		{"origin", header("Origin", "https://a\xff.example")},
		{"cookie", header("Cookie", "ostiary_session=a\xffb")},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	sent := 0
	for _, route := range routes {
		method, path, ok := strings.Cut(route, " ")
		methods := []string{method}
		if !ok {
			path, methods = route, []string{http.MethodGet, http.MethodPost}
		}
		for _, m := range methods {
			for _, v := range variants {
				req := v.mk(m, issuer+concretePaths(path))
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("%s %s (%s): %v", m, path, v.name, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				sent++
				if resp.StatusCode >= 500 {
					t.Errorf("%s %s (%s): %d %.200s", m, path, v.name, resp.StatusCode, body)
				}
			}
		}
	}
	t.Logf("%d requests over %d routes", sent, len(routes))
	// Each surface answers in its own shape.
	for _, c := range []struct{ path, contentType, want string }{
		{"/oauth2/token?grant_type=%FF", "application/json", `"error":"invalid_request"`},
		{"/oauth2/introspect?token=%00", "application/json", `"error":"invalid_request"`},
		{"/oauth2/register?x=%FF", "application/json", `"error":"invalid_request"`},
		{adminapi.BasePath + "/clients?cursor=%FF", "application/json", `"code":"invalid_request"`},
		{"/login?request=%FF", "text/html", "Invalid request"},
		{"/oauth2/authorize?client_id=%FF", "text/html", "Invalid request"},
	} {
		resp, err := client.Post(issuer+c.path, "application/x-www-form-urlencoded", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType) ||
			!strings.Contains(strings.ReplaceAll(string(body), " ", ""), strings.ReplaceAll(c.want, " ", "")) {
			t.Errorf("%s: %d %s %.200s, want 400 %s with %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.contentType, c.want)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("error logged: %.300s", line)
		}
	}
}
