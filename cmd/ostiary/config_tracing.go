package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/provider/tracing"
)

// TracingConfig is the tracing: section: OpenTelemetry spans over OTLP/HTTP,
// off unless enabled (README "Tracing"). The exporter also reads the
// standard OTEL_EXPORTER_OTLP_* variables for what is not set here, and
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES; OTEL_SDK_DISABLED=true
// turns tracing off whatever the file says.
type TracingConfig struct {
	Enabled bool `yaml:"enabled"`
	// Endpoint is the collector's OTLP/HTTP traces URL; empty: the
	// environment's, else https://localhost:4318/v1/traces.
	Endpoint string `yaml:"endpoint"`
	// Insecure allows an http:// endpoint (spans in the clear).
	Insecure bool `yaml:"insecure"`
	// CAFile is a PEM file of the roots that sign an https endpoint's
	// certificate; empty: the system's.
	CAFile string `yaml:"ca_file"`
	// Headers go with every export (a hosted backend's API key).
	Headers     map[string]string `yaml:"headers"`
	SampleRatio float64           `yaml:"sample_ratio"`
	ServiceName string            `yaml:"service_name"`

	// badEnabled is an OSTIARY_TRACING_ENABLED that is not a boolean.
	badEnabled string
}

// setEnabled applies OSTIARY_TRACING_ENABLED (true, false, 1, 0 …).
func (t *TracingConfig) setEnabled(v string) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		t.badEnabled = v
		return
	}
	t.Enabled = b
}

// validateTracing checks the tracing: section, also when it is off, so a
// mistake shows before the day tracing is turned on.
func (c Config) validateTracing() []error {
	var errs []error
	if c.Tracing.badEnabled != "" {
		errs = append(errs, fmt.Errorf("OSTIARY_TRACING_ENABLED: %q is not true or false", c.Tracing.badEnabled))
	}
	if err := c.tracingConfig().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tracing: %w", err))
	}
	if c.Tracing.CAFile != "" && strings.HasPrefix(c.Tracing.Endpoint, "http://") {
		errs = append(errs, fmt.Errorf("tracing.ca_file: an http:// endpoint has no TLS"))
	}
	return errs
}

// tracingConfig is the section as provider/tracing takes it, without the CA
// file, which startTracing reads.
func (c Config) tracingConfig() tracing.Config {
	t := c.Tracing
	tc := tracing.Config{Endpoint: t.Endpoint, Insecure: t.Insecure, Headers: t.Headers,
		SampleRatio: t.SampleRatio, ServiceName: t.ServiceName}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		tc.ServiceVersion = bi.Main.Version
	}
	return tc
}

// startTracing returns the tracer provider when tracing is on (nil when
// off) and the function that flushes and stops it. Export errors go to log
// in its format.
func startTracing(ctx context.Context, c Config, getenv func(string) string, log *slog.Logger) (*sdktrace.TracerProvider, func(), error) {
	if !c.Tracing.Enabled || strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, func() {}, nil
	}
	tc := c.tracingConfig()
	if c.Tracing.CAFile != "" {
		pem, err := os.ReadFile(c.Tracing.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("tracing.ca_file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("tracing.ca_file %s: no PEM certificate in it", c.Tracing.CAFile)
		}
		tc.TLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	// The SDK reports export failures through its one global handler.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: export failed", "err", err)
	}))
	tp, err := tracing.Start(ctx, tc)
	if err != nil {
		return nil, nil, err
	}
	log.Info("tracing on", "endpoint", c.Tracing.Endpoint, "sample_ratio", c.Tracing.SampleRatio)
	return tp, func() {
		// Pending spans get a few seconds to reach the collector.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("tracing: shutdown", "err", err)
		}
	}, nil
}

// tracerProvider is tp as an interface: nil when tp is, so "off" stays nil
// (a nil *TracerProvider in an interface would not be).
func tracerProvider(tp *sdktrace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return nil
	}
	return tp
}
