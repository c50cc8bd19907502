package provider

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// BenchmarkTokenPath is a client_credentials token request through the
// whole provider on SQLite: "observed" through ServeHTTP (request id,
// metrics, an access log line formatted as JSON), "bare" past the
// observation middleware, as before it existed. The ratio of the two is the
// cost of metrics and the access log on the token path (make bench).
func BenchmarkTokenPath(b *testing.B) {
	st := sqlitetest.Open(b)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://127.0.0.1:8080", [][]byte{bytes.Repeat([]byte("b"), 32)}
	cfg.AccessLog = slog.New(slog.NewJSONHandler(io.Discard, nil))
	p, err := New(b.Context(), cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	const secret = "bench-client-secret-0123456789abcdef"
	if err := st.CreateClient(b.Context(), storage.Client{ID: "svc", Name: "Service", SecretHash: randtoken.Hash(secret),
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}, TokenEndpointAuthMethod: "client_secret_basic",
		CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}.Encode()
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", http.HandlerFunc(p.route)}, {"observed", p}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(form))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth("svc", secret)
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
