package postgres_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/dbtrace/dbtracetest"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/storagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens a Store on a fresh database, migrated, closed at cleanup.
func openStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(t *testing.T) storage.Store {
	t.Helper()
	s := openStore(t, pgtest.DSN(t))
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestPostgresConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, newStore)
}

func TestPostgresConcurrency(t *testing.T) {
	t.Parallel()
	storagetest.RunConcurrency(t, newStore)
}

// TestPostgresStatementSpans: pgx's QueryTracer hook (WithTracing) gives
// each statement a span under the caller's (dbtracetest).
func TestPostgresStatementSpans(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	dbtracetest.Run(t, "postgresql", func(tp trace.TracerProvider) (dbtracetest.Backend, error) {
		return postgres.Open(t.Context(), dsn, postgres.WithTracing(tp))
	}, func(ctx context.Context, st storage.Store) error {
		// PostgreSQL refuses a NUL in text (the store's conflicts are ON
		// CONFLICT DO NOTHING, never errors).
		return st.CreateOrg(ctx, storage.Organization{ID: "o\x00", Name: "N\x00"})
	})
}
