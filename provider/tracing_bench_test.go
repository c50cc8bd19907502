package provider

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// BenchmarkTokenPathTracing is a client_credentials token request through
// Provider.ServeHTTP on SQLite: with tracing off (the default: nothing
// wrapped, the store untraced), on with a sample ratio of 0 (every span
// decided against, none recorded), and on with every request recorded
// (spans exported to nowhere). "off" is the line to compare with the same
// benchmark before tracing existed (README "Tracing").
func BenchmarkTokenPathTracing(b *testing.B) {
	discard := func(ratio float64) *sdktrace.TracerProvider {
		return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
			sdktrace.WithBatcher(discardExporter{}))
	}
	for _, c := range []struct {
		name string
		tp   *sdktrace.TracerProvider
	}{{"off", nil}, {"unsampled", discard(0)}, {"sampled", discard(1)}} {
		b.Run(c.name, func(b *testing.B) {
			var opts []sqlite.Option
			var mutate func(*Config)
			if c.tp != nil {
				defer func() { _ = c.tp.Shutdown(context.Background()) }()
				opts = append(opts, sqlite.WithTracing(c.tp))
				mutate = func(cfg *Config) { cfg.Tracing = c.tp }
			}
			st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "ostiary.db"), opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			if _, err := st.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			benchTokenPath(b, st, mutate)
		})
	}
}

// benchTokenPath runs client_credentials requests against the provider over
// st (mutate, when set, adjusting the configuration).
func benchTokenPath(b *testing.B, st storage.Store, mutate func(*Config)) {
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://127.0.0.1:1", [][]byte{bytes.Repeat([]byte("p"), 32)}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(b.Context(), cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	now := time.Now()
	if err := st.CreateClient(b.Context(), storage.Client{ID: "svc", Name: "Service", SecretHash: randtoken.Hash("svc-secret"),
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}, ResponseTypes: []string{"code"},
		TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}.Encode()
	b.ReportAllocs()
	// The process's CPU time per request, beside the wall time: on a shared
	// machine the wait for the disk and the cores is most of the noise.
	cpu := processCPU()
	n := 0
	for b.Loop() {
		n++
		req := httptest.NewRequest(http.MethodPost, cfg.Issuer+"/oauth2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("svc", "svc-secret")
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("token: %d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(n), "cpu-ns/op")
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardExporter drops what it is given.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
