package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/storage/dbtrace"
)

// Option adjusts Open.
type Option func(*pgx.ConnConfig)

// WithTracing gives every statement a client span, a child of the span in
// its context, through pgx's own hook (pgx.QueryTracer): BEGIN and COMMIT
// are statements too. A nil tp is no tracing.
func WithTracing(tp trace.TracerProvider) Option {
	return func(c *pgx.ConnConfig) {
		if t := dbtrace.New(tp, semconv.DBSystemNamePostgreSQL); t != nil {
			c.Tracer = queryTracer{t}
		}
	}
}

// queryTracer is pgx.QueryTracer over dbtrace.
type queryTracer struct{ t *dbtrace.Tracer }

func (q queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	ctx, _ = q.t.Start(ctx, data.SQL)
	return ctx
}

func (queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	dbtrace.End(dbtrace.FromContext(ctx), data.Err)
}
