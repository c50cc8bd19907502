package tracing

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName is service.name when neither the configuration nor
// OTEL_SERVICE_NAME names one.
const DefaultServiceName = "ostiary"

// Config is what Start needs; cmd/ostiary builds it from the tracing:
// section of the config file.
type Config struct {
	// Endpoint is the OTLP/HTTP traces URL (https://collector:4318/v1/traces);
	// a URL without a path gets /v1/traces. Empty: the exporter's
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT,
	// else https://localhost:4318/v1/traces.
	Endpoint string
	// Insecure allows an http:// Endpoint: spans then travel in the clear.
	Insecure bool
	// TLS, when set, is the client TLS configuration of an https endpoint
	// (its roots from tracing.ca_file).
	TLS *tls.Config
	// Headers go with every export (an API key of a hosted backend); the
	// exporter also reads OTEL_EXPORTER_OTLP_HEADERS.
	Headers map[string]string
	// SampleRatio is the share of new traces recorded, 0 to 1. A request
	// that carries a sampled trace context is recorded whatever the ratio
	// (parent-based), so a relying party's trace continues through.
	SampleRatio float64
	// ServiceName is service.name; empty: OTEL_SERVICE_NAME, else
	// DefaultServiceName. OTEL_RESOURCE_ATTRIBUTES adds attributes.
	ServiceName string
	// ServiceVersion is service.version, when known.
	ServiceVersion string
}

// Validate reports what is wrong with c, every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		errs = append(errs, fmt.Errorf("sample_ratio %v: must be between 0 and 1", c.SampleRatio))
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			errs = append(errs, fmt.Errorf("endpoint %q: must be an http:// or https:// URL", c.Endpoint))
		case u.Scheme == "http" && !c.Insecure:
			errs = append(errs, fmt.Errorf("endpoint %q: http:// sends spans unencrypted; use https:// or set insecure: true", c.Endpoint))
		case u.Scheme == "https" && c.Insecure:
			errs = append(errs, fmt.Errorf("endpoint %q: insecure is for http:// endpoints only", c.Endpoint))
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("endpoint %q: no user, query or fragment (credentials go in headers)", c.Endpoint))
		}
	}
	return errors.Join(errs...)
}

// Start builds the tracer provider: spans are batched and exported over
// OTLP/HTTP (protobuf). Shut it down to send what is pending. Nothing is
// sent until the first span ends; an unreachable collector costs dropped
// spans and a logged export error, never a failed request.
func Start(ctx context.Context, c Config) (*sdktrace.TracerProvider, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	var opts []otlptracehttp.Option
	if c.Endpoint != "" {
		u, _ := url.Parse(c.Endpoint)
		if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u.String()))
	}
	if c.TLS != nil {
		opts = append(opts, otlptracehttp.WithTLSClientConfig(c.TLS))
	}
	if len(c.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(c.Headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter: %w", err)
	}
	res, err := newResource(ctx, c)
	if err != nil {
		return nil, err
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.SampleRatio))),
	), nil
}

// newResource describes the process: service.name (configured, else
// OTEL_SERVICE_NAME, else ostiary), service.version, the SDK, and
// OTEL_RESOURCE_ATTRIBUTES.
func newResource(ctx context.Context, c Config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{semconv.ServiceName(DefaultServiceName)}
	if c.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(c.ServiceVersion))
	}
	// Later options win: the configured name over the environment's.
	opts := []resource.Option{resource.WithAttributes(attrs...), resource.WithFromEnv(), resource.WithTelemetrySDK()}
	if c.ServiceName != "" {
		opts = append(opts, resource.WithAttributes(semconv.ServiceName(c.ServiceName)))
	}
	res, err := resource.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return res, nil
}

// Propagator reads and writes W3C trace context headers (traceparent,
// tracestate). Not baggage: what one client put there would be sent on to
// the other parties the provider calls.
func Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// Handler gives every request through h a server span, continuing the trace
// context the request carries. The span is named "METHOD /route/pattern"
// once the mux has routed the request (Route), never by the raw path;
// paths (optional) names the exact paths served before the mux (the
// discovery documents), each its own route.
func Handler(tp trace.TracerProvider, h http.Handler, paths map[string]bool) http.Handler {
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(Propagator()),
		// The metrics are Prometheus's (provider/metrics), not these.
		otelhttp.WithMeterProvider(noopmetric.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if route := routePath(r.Pattern); route != "" {
				return r.Method + " " + route
			}
			if paths[r.URL.Path] {
				return r.Method + " " + r.URL.Path
			}
			return r.Method
		}))
}

// Route names the server span of the requests pattern's handler serves by
// the pattern (semconv's "METHOD route" and http.route), wherever the request
// was copied on the way from Handler to the mux. A mux of its own inside h
// (the admin API's) names it by its finer pattern.
func Route(pattern string, h http.Handler) http.Handler {
	route := routePath(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			h.ServeHTTP(w, r)
			return
		}
		name := func(route string) {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route))
		}
		name(route)
		h.ServeHTTP(w, r)
		if inner := routePath(r.Pattern); inner != "" && r.Pattern != pattern {
			name(inner)
		}
	})
}

// routePath is the path of a mux pattern ("POST /x/{id}" → "/x/{id}"),
// without a host.
func routePath(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// Transport gives every request through rt a client span, child of the
// span in the request's context, and sends the trace context along
// (traceparent), so an upstream provider or a relying party's back-channel
// endpoint can join the trace.
func Transport(tp trace.TracerProvider, rt http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(Propagator()),
		otelhttp.WithMeterProvider(noopmetric.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
}
