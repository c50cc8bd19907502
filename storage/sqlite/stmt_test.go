package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// TestStatementCache: the store's statements are prepared once and reused,
// in and out of transactions; past the bound queries still run; a
// statement prepared before a schema change still runs after it.
func TestStatementCache(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).(*Store)
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.CreateClient(ctx, storage.Client{ID: "c1", Name: "One", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cached := func() int {
		s.stmts.mu.RLock()
		defer s.stmts.mu.RUnlock()
		return len(s.stmts.stmts)
	}
	before := cached()
	for range 3 {
		if _, err := s.GetClient(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		_, err := s.GetClient(ctx, "c1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cached(); got != before+1 {
		t.Errorf("%d statements cached after four GetClient calls, want %d", got, before+1)
	}

	for i := cached(); i < maxCachedStmts+3; i++ {
		var n int
		if err := s.q(ctx).QueryRowContext(ctx, fmt.Sprintf("SELECT ? + %d", i), 1).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if got := cached(); got != maxCachedStmts {
		t.Errorf("%d statements cached, want the bound %d", got, maxCachedStmts)
	}

	// A failing statement is reported as it would be unprepared, not cached.
	if _, err := s.q(ctx).ExecContext(ctx, "INSERT INTO no_such_table VALUES (?)", 1); err == nil {
		t.Error("a statement on a missing table succeeded")
	}
}

func TestStatementCacheAcrossSchemaChange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "ostiary.db"))
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE scratch (a INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT count(*) FROM scratch WHERE a = ?`
	var n int
	if err := s.q(ctx).QueryRowContext(ctx, q, 1).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `ALTER TABLE scratch ADD COLUMN b TEXT; INSERT INTO scratch (a, b) VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	if err := s.q(ctx).QueryRowContext(ctx, q, 1).Scan(&n); err != nil || n != 1 {
		t.Errorf("prepared statement after a schema change: %d, %v; want 1", n, err)
	}
}
