package httpobs

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/metrics"
)

type seen struct {
	route, method string
	status        int
}

type fakeObserver struct{ got []seen }

func (f *fakeObserver) ObserveRequest(route, method string, status int, _ time.Duration) {
	f.got = append(f.got, seen{route, method, status})
}

// serve runs req through the middleware around a mux with the patterns a
// provider has, and returns the response, what the observer saw and the
// access log line.
func serve(t *testing.T, req *http.Request) (*httptest.ResponseRecorder, *fakeObserver, map[string]any) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		SetClientID(r.Context(), "app-1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("id " + RequestID(r.Context())))
	})
	var buf bytes.Buffer
	obs := &fakeObserver{}
	m := &Middleware{Metrics: obs, Log: slog.New(slog.NewJSONHandler(&buf, nil)),
		RemoteIP: func(*http.Request) string { return "203.0.113.7" }}
	rec := httptest.NewRecorder()
	m.Wrap(mux).ServeHTTP(rec, req)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("access log is not one JSON line: %q", buf.String())
	}
	return rec, obs, line
}

func TestAccessLogLine(t *testing.T) {
	req := httptest.NewRequest("POST", "/oauth2/token?code=SECRET-CODE",
		strings.NewReader("grant_type=authorization_code&code=SECRET-CODE&client_secret=SECRET-PW"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app-1", "SECRET-PW")
	req.Header.Set(HeaderRequestID, "edge-42.abc")
	rec, obs, line := serve(t, req)
	if got := rec.Header().Get(HeaderRequestID); got != "edge-42.abc" {
		t.Errorf("X-Request-Id = %q, want the sane incoming one echoed", got)
	}
	want := map[string]any{"msg": "request", "method": "POST", "route": "POST /oauth2/token", "status": 400.0,
		"bytes": float64(len(`{"error":"invalid_grant"}`)), "request_id": "edge-42.abc", "remote": "203.0.113.7", "client_id": "app-1"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("access log has no duration_ms: %v", line)
	}
	raw, _ := json.Marshal(line)
	if strings.Contains(string(raw), "SECRET") {
		t.Errorf("access log carries a secret of the query, body or Authorization: %s", raw)
	}
	if len(obs.got) != 1 || obs.got[0] != (seen{"POST /oauth2/token", "POST", 400}) {
		t.Errorf("observer saw %+v", obs.got)
	}
}

// The route is the pattern, never the path: one series for every user id.
func TestRouteIsThePattern(t *testing.T) {
	_, obs, line := serve(t, httptest.NewRequest("GET", "/users/u-123", nil))
	if line["route"] != "GET /users/{id}" {
		t.Errorf("route = %v", line["route"])
	}
	if obs.got[0].status != 200 {
		t.Errorf("a handler that only writes a body is a 200, saw %d", obs.got[0].status)
	}
	// Nothing matched: the mux's own 404 is counted as unmatched.
	_, obs, line = serve(t, httptest.NewRequest("GET", "/nowhere/at/all", nil))
	if line["route"] != RouteUnmatched || obs.got[0] != (seen{RouteUnmatched, "GET", 404}) {
		t.Errorf("unmatched request: route %v, observer %+v", line["route"], obs.got)
	}
	// A made-up method is not a label value.
	_, obs, _ = serve(t, httptest.NewRequest("BREW", "/users/1", nil))
	if obs.got[0].method != "OTHER" {
		t.Errorf("method = %q, want OTHER", obs.got[0].method)
	}
}

func TestRequestID(t *testing.T) {
	for _, in := range []string{"", "has space", "semi;colon", "new\nline", "<script>", strings.Repeat("a", MaxRequestIDLen+1), "ünïcode"} {
		req := httptest.NewRequest("GET", "/users/1", nil)
		if in != "" {
			req.Header[HeaderRequestID] = []string{in}
		}
		rec, _, line := serve(t, req)
		got := rec.Header().Get(HeaderRequestID)
		if got == in || len(got) != 16 {
			t.Errorf("incoming %q: X-Request-Id = %q, want a new 16-character id", in, got)
		}
		if line["request_id"] != got || rec.Body.String() != "id "+got {
			t.Errorf("incoming %q: the log (%v) and the handler (%q) must see the id answered (%q)", in, line["request_id"], rec.Body.String(), got)
		}
	}
	ok := strings.Repeat("A", MaxRequestIDLen)
	req := httptest.NewRequest("GET", "/users/1", nil)
	req.Header.Set(HeaderRequestID, ok)
	if rec, _, _ := serve(t, req); rec.Header().Get(HeaderRequestID) != ok {
		t.Errorf("a %d-character id is kept", MaxRequestIDLen)
	}
	if a, b := NewRequestID(), NewRequestID(); a == b {
		t.Error("two new ids are equal")
	}
}

// The writer lets http.ResponseController reach the real writer.
func TestWriterUnwraps(t *testing.T) {
	var flushed bool
	h := (&Middleware{}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flushed = http.NewResponseController(w).Flush() == nil
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !flushed || !rec.Flushed {
		t.Error("Flush through the middleware did not reach the recorder")
	}
}

// BenchmarkMiddleware is the whole cost the middleware adds to a request:
// the request id, the writer, the Prometheus counters and histogram of
// provider/metrics, and (with-log) an access log line formatted as JSON.
func BenchmarkMiddleware(b *testing.B) {
	for _, c := range []struct {
		name string
		log  *slog.Logger
	}{{"metrics", nil}, {"metrics+log", slog.New(slog.NewJSONHandler(io.Discard, nil))}} {
		b.Run(c.name, func(b *testing.B) {
			m := &Middleware{Metrics: metrics.New(), Log: c.log}
			mux := http.NewServeMux()
			mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
				SetClientID(r.Context(), "app")
				w.WriteHeader(200)
			})
			h := m.Wrap(mux)
			bare := httptest.NewRequest("POST", "/oauth2/token", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, bare)
			}
		})
	}
}

// BenchmarkBare is the same request without the middleware, to subtract.
func BenchmarkBare(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	req := httptest.NewRequest("POST", "/oauth2/token", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		mux.ServeHTTP(w, req)
	}
}

// discardWriter is a connection's writer that sends nothing; its header
// map is reused, as a real connection's is per request.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header       { return d.h }
func (*discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (*discardWriter) WriteHeader(int)             {}
