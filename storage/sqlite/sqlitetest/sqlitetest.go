// Package sqlitetest gives tests a real, migrated SQLite store: the embedded
// backend, so a package's tests run against the storage contract with no
// server to start. It is the SQLite counterpart of storage/postgres/pgtest.
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/ostiary/ostiary/storage/sqlite"
)

// Open returns a migrated store in a new file under tb.TempDir(), closed in
// tb.Cleanup.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return OpenFile(tb, filepath.Join(tb.TempDir(), "ostiary.db"))
}

// OpenFile opens the database at path, creating it if need be, applies the
// pending migrations and closes the store in tb.Cleanup. Opening one path
// twice gives two handles on one database, as two replicas would have.
func OpenFile(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("sqlitetest: open %s: %v", path, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("sqlitetest: migrate %s: %v", path, err)
	}
	return s
}
