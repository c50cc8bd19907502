package postgres_test

import (
	"testing"

	"github.com/ostiary/ostiary/storage"
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
