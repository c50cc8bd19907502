package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/migrations"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/storagetest"
)

// newStore opens a migrated database in a fresh temporary file.
func newStore(t *testing.T) storage.Store {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "ostiary.db"))
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, newStore)
}

func TestSQLiteConcurrency(t *testing.T) {
	t.Parallel()
	storagetest.RunConcurrency(t, newStore)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "nested", "dir", "ostiary.db"))
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping before Migrate succeeded; want an error about pending migrations")
	}
	all, err := migrations.For("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) != len(all) || applied[0] != all[0].Name {
		t.Errorf("first Migrate applied %v, want every embedded migration (%d)", applied, len(all))
	}
	applied, err = s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after Migrate: %v", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE applied_at > 0 AND length(checksum) = 64`).Scan(&n); err != nil || n != len(all) {
		t.Errorf("schema_migrations records %d migrations (%v), want %d", n, err, len(all))
	}
}

func TestMigrateDetectsChangedMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).(*Store)
	all, _ := migrations.For("sqlite")
	name := all[0].Name
	if _, err := s.db.ExecContext(ctx, `UPDATE schema_migrations SET checksum = 'edited' WHERE name = ?`, name); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), name) {
		t.Errorf("Migrate over a changed migration: err = %v, want an error naming %s", err, name)
	}
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), name) {
		t.Errorf("Ping over a changed migration: err = %v, want an error naming %s", err, name)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ostiary.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	want := storage.Client{ID: "c1", Name: "kept", RedirectURIs: []string{"https://app.example/cb"}}
	if err := s.CreateClient(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Errorf("Migrate after reopening: applied %v, err %v; want nothing", applied, err)
	}
	got, err := s.GetClient(ctx, "c1")
	if err != nil {
		t.Fatalf("GetClient after reopening: %v", err)
	}
	if got.Name != want.Name || len(got.RedirectURIs) != 1 || got.RedirectURIs[0] != want.RedirectURIs[0] {
		t.Errorf("after reopening got %+v, want %+v", got, want)
	}
}

func TestOpenSettings(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).(*Store)
	// Every pooled connection must carry the pragmas: check several at once.
	var conns []*sql.Conn
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, conn := range conns {
		for _, c := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"synchronous", "1"}, // NORMAL
			{"busy_timeout", "5000"},
		} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, c.pragma, err)
			}
			if !strings.EqualFold(got, c.want) {
				t.Errorf("conn %d: PRAGMA %s = %s, want %s", i, c.pragma, got, c.want)
			}
		}
	}
	if fi, err := os.Stat(s.path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// TestWriteTxLocksAtBegin proves _txlock=immediate: a second transaction
// waits at BEGIN for the first to finish, instead of starting as a reader
// and failing (or deadlocking) when both later try to write.
func TestWriteTxLocksAtBegin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	tx1, err := s.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	began := make(chan error, 1)
	go func() {
		tx2, err := s.BeginTX(ctx)
		if err == nil {
			err = s.CreateClient(tx2, storage.Client{ID: "second"})
			if err == nil {
				err = s.Commit(tx2)
			}
		}
		began <- err
	}()
	select {
	case err := <-began:
		t.Fatalf("a second write transaction began while the first held the lock (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := s.CreateClient(tx1, storage.Client{ID: "first"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(tx1); err != nil {
		t.Fatal(err)
	}
	if err := <-began; err != nil {
		t.Fatalf("second transaction after the first committed: %v", err)
	}
}

// TestBusyIsConflict checks that SQLITE_BUSY from a real lock maps to
// storage.ErrConflict and counts as retryable.
func TestBusyIsConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).(*Store)
	tx, err := s.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Rollback(tx) }()
	other, err := sql.Open("sqlite", "file:"+s.path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.ExecContext(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES ('k', 1, 1)`)
	if err == nil {
		t.Fatal("a write from another connection succeeded while a transaction held the lock")
	}
	mapped := wrapDB(err)
	if !errors.Is(mapped, storage.ErrConflict) || !isBusy(mapped) {
		t.Errorf("wrapDB(%v) = %v, want a retryable storage.ErrConflict", err, mapped)
	}
}

// TestOpenAwkwardPath: the path goes into a file: URI, which would
// percent-decode it and cut it at '?' or '#'.
func TestOpenAwkwardPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a%41 b?c#d", "ostiary%20.db")
	s := openStore(t, path)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("database not at the exact path %q: %v", path, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(filepath.Dir(path)))
	if len(entries) != 1 {
		t.Errorf("Open created %d entries next to the database directory, want 1", len(entries))
	}
}

// TestInTxRetriesBusy: a busy database makes InTx run fn again; if it stays
// busy the error after the last attempt wraps storage.ErrConflict.
func TestInTxRetriesBusy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).(*Store)
	other, err := sql.Open("sqlite", "file:"+s.path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Inside fn our transaction holds the write lock, so a write through
	// the other handle is SQLITE_BUSY at once.
	busy := func(ctx context.Context) error {
		_, err := other.ExecContext(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES ('k', 1, 1)`)
		return wrapDB(err)
	}

	calls := 0
	err = s.InTx(ctx, func(ctx context.Context) error {
		calls++
		if calls == 1 {
			return busy(ctx)
		}
		return s.CreateClient(ctx, storage.Client{ID: "c1"})
	})
	if err != nil || calls != 2 {
		t.Fatalf("InTx after one busy attempt: err %v, %d calls; want success on the second", err, calls)
	}
	if _, err := s.GetClient(ctx, "c1"); err != nil {
		t.Errorf("client from the retried attempt: %v", err)
	}

	calls = 0
	err = s.InTx(ctx, func(ctx context.Context) error {
		calls++
		if err := s.CreateClient(ctx, storage.Client{ID: fmt.Sprintf("x%d", calls)}); err != nil {
			return err
		}
		return busy(ctx)
	})
	if !errors.Is(err, storage.ErrConflict) || calls != txAttempts {
		t.Errorf("InTx always busy: err %v after %d calls; want ErrConflict after %d", err, calls, txAttempts)
	}
	if list, _ := s.ListClients(ctx); len(list) != 1 {
		t.Errorf("failed attempts left clients behind: %+v", list)
	}
}
