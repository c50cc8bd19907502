package web

import (
	"path/filepath"
	"testing"

	"github.com/ostiary/ostiary/storage/sqlite"
)

// newTestStore is a fresh embedded SQLite database, the zero-setup default
// backend, so the pages are tested against the real storage contract.
func newTestStore(t *testing.T) testStore {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ostiary.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}
