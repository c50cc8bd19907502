package tracing

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestValidateRefusesEachBadSetting(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		cfg  Config
		want string // "" is valid
	}{
		{"defaults", Config{SampleRatio: 1}, ""},
		{"https endpoint", Config{Endpoint: "https://collector.example:4318/v1/traces", SampleRatio: 0.25}, ""},
		{"http endpoint, insecure", Config{Endpoint: "http://127.0.0.1:4318", Insecure: true}, ""},
		{"ratio above 1", Config{SampleRatio: 1.5}, "sample_ratio"},
		{"ratio below 0", Config{SampleRatio: -0.1}, "sample_ratio"},
		{"http without insecure", Config{Endpoint: "http://collector:4318", SampleRatio: 1}, "unencrypted"},
		{"insecure with https", Config{Endpoint: "https://collector:4318", Insecure: true, SampleRatio: 1}, "insecure is for http://"},
		{"no scheme", Config{Endpoint: "collector:4318", SampleRatio: 1}, "http:// or https:// URL"},
		{"other scheme", Config{Endpoint: "grpc://collector:4317", SampleRatio: 1}, "http:// or https:// URL"},
		{"credentials in URL", Config{Endpoint: "https://key:secret@collector:4318", SampleRatio: 1}, "headers"},
		{"query", Config{Endpoint: "https://collector:4318/v1/traces?k=v", SampleRatio: 1}, "headers"},
	} {
		err := c.cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one about %q", c.name, err, c.want)
		}
	}
	if _, err := Start(t.Context(), Config{SampleRatio: 2}); err == nil {
		t.Error("Start took a bad configuration")
	}
}

func TestRoutePath(t *testing.T) {
	t.Parallel()
	for pattern, want := range map[string]string{
		"/oauth2/token":                  "/oauth2/token",
		"POST /login":                    "/login",
		"GET /admin/api/v1/users/{id}":   "/admin/api/v1/users/{id}",
		"GET id.example/x/{rest...}":     "/x/{rest...}",
		"/":                              "/",
		"":                               "",
		"DELETE /oauth2/register/{c_id}": "/oauth2/register/{c_id}",
	} {
		if got := routePath(pattern); got != want {
			t.Errorf("routePath(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestHandlerNamesSpansByRoute: a request the mux routes is named by its
// pattern, whatever the raw path (the id in it never becomes a span name);
// an exact path served before the mux is its own route; anything else is
// the method alone.
func TestHandlerNamesSpansByRoute(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", Route("GET /users/{id}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	inner := http.NewServeMux()
	inner.HandleFunc("DELETE /api/keys/{kid}", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("/api/", Route("/api/", inner))
	// A middleware between Handler and the mux that copies the request.
	copying := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			return
		}
		mux.ServeHTTP(w, r.WithContext(r.Context()))
	})
	h := Handler(tp, copying, map[string]bool{"/.well-known/openid-configuration": true})
	for _, path := range []string{"/users/u-123", "/.well-known/openid-configuration", "/nothing/here", "DELETE /api/keys/k1"} {
		method, path, ok := strings.Cut(path, " ")
		if !ok {
			method, path = http.MethodGet, method
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
	}
	var names, routes []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
		for _, a := range s.Attributes() {
			if a.Key == "http.route" {
				routes = append(routes, a.Value.AsString())
			}
		}
	}
	want := []string{"GET /users/{id}", "GET /.well-known/openid-configuration", "GET", "DELETE /api/keys/{kid}"}
	if strings.Join(routes, "|") != "/users/{id}|/api/keys/{kid}" {
		t.Errorf("http.route %q", routes)
	}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("span names %q, want %q", names, want)
	}
}
