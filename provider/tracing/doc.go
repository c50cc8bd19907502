// Package tracing is the provider's OpenTelemetry tracing: an OTLP/HTTP
// exporter behind a batch span processor (Start), server spans named by
// route pattern (Handler, Route), and client spans with trace context
// propagation for the guarded outbound client (Transport). The database
// spans are the backends' own (storage/dbtrace).
//
// Tracing is off unless configured. Off, nothing here is used: no handler
// or transport is wrapped and the stores get no tracer, so the token path
// does exactly what it did before. No global state is set: the tracer
// provider travels in provider.Config, the propagator is Propagator.
package tracing
