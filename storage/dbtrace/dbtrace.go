// Package dbtrace names and describes the client spans of database
// statements, for both backends: sqlite wraps its statement cache with it,
// postgres hands pgx a QueryTracer built on it. A nil *Tracer is tracing
// off and costs one comparison.
package dbtrace

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// Tracer starts statement spans for one database system.
type Tracer struct {
	tracer trace.Tracer
	system attribute.KeyValue
}

// New returns the tracer of tp for system (semconv.DBSystemNameSQLite,
// semconv.DBSystemNamePostgreSQL); nil when tp is nil.
func New(tp trace.TracerProvider, system attribute.KeyValue) *Tracer {
	if tp == nil {
		return nil
	}
	return &Tracer{tracer: tp.Tracer("github.com/ostiary/ostiary/storage"), system: system}
}

// Start starts the client span of one statement, a child of the span in
// ctx, named by its operation (SELECT, INSERT …). The statement's text is
// recorded as the store has it, with placeholders: never its arguments,
// which hold token hashes, emails and sealed secrets.
//
// A statement outside a recorded span (the mail worker polling its outbox,
// the janitor, a request not sampled) gets no span: nil, which End takes.
// Else every poll would be a trace of its own.
func (t *Tracer) Start(ctx context.Context, query string) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	op := Operation(query)
	ctx, span := t.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(t.system, semconv.DBOperationName(op), semconv.DBQueryText(query)))
	return context.WithValue(ctx, spanKey{}, span), span
}

// spanKey carries the span Start started, for End(FromContext(ctx)).
type spanKey struct{}

// FromContext is the statement span Start put in ctx, or nil: never the
// span of the request around it.
func FromContext(ctx context.Context) trace.Span {
	span, _ := ctx.Value(spanKey{}).(trace.Span)
	return span
}

// End ends span, recording err as its status (none for a nil err). A nil
// span is nothing to end.
func End(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// Operation is the first keyword of query in capitals ("SELECT"), or
// "query" when it has none.
func Operation(query string) string {
	q := strings.TrimSpace(query)
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(q)
	}
	if end == 0 {
		return "query"
	}
	return strings.ToUpper(q[:end])
}
