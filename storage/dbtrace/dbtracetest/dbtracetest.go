// Package dbtracetest checks a backend's statement spans (storage/dbtrace)
// the same way for both: sqlite and postgres run Run in their tests.
package dbtracetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/storage"
)

// Backend is a store that migrates and closes, as both backends do.
type Backend interface {
	storage.Store
	Migrate(ctx context.Context) ([]string, error)
	Close() error
}

// Run opens a migrated store traced by a recording provider (open) and
// checks: statements outside a span make none; inside one, each statement,
// BEGIN and COMMIT included, is a client span child of it, named by its
// operation, of db.system.name system, carrying the statement with
// placeholders and never a bound value; a statement the database refuses
// (fail: each backend refuses something else) has an error span.
func Run(t *testing.T, system string, open func(tp trace.TracerProvider) (Backend, error),
	fail func(ctx context.Context, st storage.Store) error) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx := t.Context()
	st, err := open(tp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	// Migrations run outside any span: they make none either.
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	const secretName = "Traced client 7f3a"
	c := storage.Client{ID: "traced-7f3a", Name: secretName, SecretHash: []byte("hash-7f3a"), GrantTypes: []string{"client_credentials"},
		ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now}

	if _, err := st.GetClient(ctx, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetClient: %v", err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans for statements outside any span", n)
	}

	reqCtx, req := tp.Tracer("test").Start(ctx, "request")
	err = st.InTx(reqCtx, func(ctx context.Context) error {
		if err := st.CreateClient(ctx, c); err != nil {
			return err
		}
		_, err := st.GetClient(ctx, c.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fail(reqCtx, st); err == nil {
		t.Fatal("the failing statement did not fail")
	}
	req.End()

	names := map[string]bool{}
	var failed int
	for _, s := range rec.Ended() {
		if s.Name() == "request" {
			continue
		}
		names[s.Name()] = true
		if s.Parent().SpanID() != req.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %q: parent %s kind %v, want a client span child of the request", s.Name(), s.Parent().SpanID(), s.SpanKind())
		}
		attrs := map[string]string{}
		for _, a := range s.Attributes() {
			attrs[string(a.Key)] = a.Value.String()
			for _, v := range []string{secretName, "hash-7f3a", "traced-7f3a"} {
				if strings.Contains(a.Value.String(), v) {
					t.Errorf("span %q attribute %s carries the value %q", s.Name(), a.Key, v)
				}
			}
		}
		if attrs["db.system.name"] != system || attrs["db.operation.name"] != s.Name() || attrs["db.query.text"] == "" {
			t.Errorf("span %q attributes %v", s.Name(), attrs)
		}
		if s.Status().Code == codes.Error {
			failed++
		}
	}
	for _, want := range []string{"BEGIN", "INSERT", "SELECT", "COMMIT"} {
		if !names[want] {
			t.Errorf("no %s span among %v", want, names)
		}
	}
	if failed != 1 {
		t.Errorf("%d failed spans, want 1 (the refused statement)", failed)
	}
}
