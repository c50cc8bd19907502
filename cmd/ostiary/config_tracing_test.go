package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestTracingConfigRejectsBadValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ yaml, want string }{
		{"tracing:\n  sample_ratio: 2\n", "tracing: sample_ratio 2: must be between 0 and 1"},
		{"tracing:\n  sample_ratio: -1\n", "tracing: sample_ratio -1"},
		{"tracing:\n  endpoint: http://collector:4318\n", "set insecure: true"},
		{"tracing:\n  endpoint: https://collector:4318\n  insecure: true\n", "insecure is for http:// endpoints only"},
		{"tracing:\n  endpoint: collector:4318\n", "must be an http:// or https:// URL"},
		{"tracing:\n  endpoint: https://u:p@collector:4318\n", "credentials go in headers"},
		{"tracing:\n  endpoint: http://collector:4318\n  insecure: true\n  ca_file: /x.pem\n", "tracing.ca_file: an http:// endpoint has no TLS"},
		{"tracing:\n  enabled: yes please\n", "cannot unmarshal"},
		{"tracing:\n  sampling: 1\n", "field sampling not found"},
	} {
		_, err := loadConfig(writeFile(t, c.yaml), noEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one with %q", c.yaml, err, c.want)
		}
	}
	// Off by default, every ratio between 0 and 1 taken.
	c, err := loadConfig(writeFile(t, "tracing:\n  sample_ratio: 0\n"), noEnv)
	if err != nil || c.Tracing.Enabled || c.Tracing.SampleRatio != 0 {
		t.Errorf("ratio 0: %+v %v", c.Tracing, err)
	}
	if c, _ := loadConfig("", noEnv); c.Tracing.Enabled || c.Tracing.SampleRatio != 1 {
		t.Errorf("defaults: %+v", c.Tracing)
	}
}

// TestStartTracing: off unless enabled; OTEL_SDK_DISABLED wins over the
// file; a bad ca_file is an error; on, spans reach the endpoint, with the
// headers configured.
func TestStartTracing(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	c := defaultConfig()
	if tp, stop, err := startTracing(t.Context(), c, noEnv, log); tp != nil || err != nil {
		t.Fatalf("off: %v %v", tp, err)
	} else {
		stop()
	}
	if tracerProvider(nil) != nil {
		t.Error("tracerProvider(nil) is not nil")
	}
	c.Tracing.Enabled = true
	if tp, _, err := startTracing(t.Context(), c, env(map[string]string{"OTEL_SDK_DISABLED": "true"}), log); tp != nil || err != nil {
		t.Errorf("OTEL_SDK_DISABLED: %v %v", tp, err)
	}
	bad := c
	bad.Tracing.CAFile = filepath.Join(t.TempDir(), "none.pem")
	if _, _, err := startTracing(t.Context(), bad, noEnv, log); err == nil || !strings.Contains(err.Error(), "tracing.ca_file") {
		t.Errorf("missing ca_file: %v", err)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad.Tracing.CAFile = notPEM
	if _, _, err := startTracing(t.Context(), bad, noEnv, log); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("ca_file without PEM: %v", err)
	}

	var exports atomic.Int32
	var key atomic.Value
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			exports.Add(1)
			key.Store(r.Header.Get("X-Api-Key"))
		}
	}))
	defer collector.Close()
	c.Tracing.Endpoint, c.Tracing.Insecure = collector.URL, true
	c.Tracing.Headers = map[string]string{"x-api-key": "k1"}
	tp, stop, err := startTracing(t.Context(), c, noEnv, log)
	if err != nil || tp == nil {
		t.Fatalf("on: %v %v", tp, err)
	}
	var _ trace.TracerProvider = tracerProvider(tp)
	_, span := tp.Tracer("t").Start(t.Context(), "s")
	span.End()
	stop() // flushes
	if exports.Load() == 0 || key.Load() != "k1" {
		t.Errorf("exports %d, api key %v", exports.Load(), key.Load())
	}
}

func TestTracingEnabledFromEnvironment(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false} {
		c, err := loadConfig("", func(k string) string {
			if k == "OSTIARY_TRACING_ENABLED" {
				return v
			}
			return ""
		})
		if err != nil || c.Tracing.Enabled != want {
			t.Errorf("OSTIARY_TRACING_ENABLED=%s: enabled %v, %v", v, c.Tracing.Enabled, err)
		}
	}
	_, err := loadConfig("", func(k string) string {
		if k == "OSTIARY_TRACING_ENABLED" {
			return "yes please"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), `OSTIARY_TRACING_ENABLED: "yes please" is not true or false`) {
		t.Errorf("a bad OSTIARY_TRACING_ENABLED: %v", err)
	}
}
