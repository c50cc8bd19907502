package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/dbtrace/dbtracetest"
)

// TestStatementSpans: with WithTracing every statement of the statement
// cache, BEGIN IMMEDIATE and COMMIT get a span under the caller's
// (dbtracetest).
func TestStatementSpans(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ostiary.db")
	dbtracetest.Run(t, "sqlite", func(tp trace.TracerProvider) (dbtracetest.Backend, error) {
		return Open(t.Context(), path, WithTracing(tp))
	}, func(ctx context.Context, st storage.Store) error {
		// The primary key refuses a second client of the same id.
		c, err := st.GetClient(ctx, "traced-7f3a")
		if err != nil {
			return nil
		}
		return st.CreateClient(ctx, c)
	})
}
