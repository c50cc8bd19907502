package sqlitetest_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// A store from Open answers with its migrations current.
func TestOpen(t *testing.T) {
	t.Parallel()
	if err := sqlitetest.Open(t).Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// Two handles from OpenFile on one path see one database.
func TestOpenFileShared(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := sqlitetest.OpenFile(t, path), sqlitetest.OpenFile(t, path)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := a.Hit(t.Context(), "k", time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if n, _, err := b.Peek(t.Context(), "k", now); err != nil || n != 1 {
		t.Fatalf("Peek through the second handle = %d, %v; want 1", n, err)
	}
}
