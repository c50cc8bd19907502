package web

import (
	"testing"

	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// newTestStore is a fresh embedded SQLite database, the zero-setup default
// backend, so the pages are tested against the real storage contract.
func newTestStore(t *testing.T) testStore {
	t.Helper()
	return sqlitetest.Open(t)
}
