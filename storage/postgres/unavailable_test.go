package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// TestDatabaseFailuresAreErrUnavailable: a database that refuses
// connections, or only reads, is storage.ErrUnavailable to every caller
// (503, not "no such client"), and Ping fails while it refuses writes.
func TestDatabaseFailuresAreErrUnavailable(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	s := openStore(t, dsn)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(dsn)
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin := func(stmts ...string) {
		t.Helper()
		ctx := context.Background() // also in Cleanup, after t.Context ends
		conn, err := pgx.Connect(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, st := range stmts {
			if _, err := conn.Exec(ctx, st); err != nil {
				t.Fatalf("%s: %v", st, err)
			}
		}
	}
	kick := `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`
	t.Cleanup(func() { admin(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`) })

	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on a healthy database: %v", err)
	}
	admin(`ALTER DATABASE `+name+` ALLOW_CONNECTIONS false`, kick)
	for i := range 3 { // the pool's dead connections, then refused new ones
		_, err := s.GetClient(t.Context(), "some-client")
		if !errors.Is(err, storage.ErrUnavailable) || errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("GetClient #%d with connections refused: %v, want ErrUnavailable", i, err)
		}
	}
	admin(`ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`, `ALTER DATABASE `+name+` SET default_transaction_read_only = on`, kick)
	// Killed pooled connections fail once each (unavailable too); then the
	// new sessions are read-only, and that is what must show.
	settle := func(what, cause string, call func() error) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			err := call()
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("%s on a read-only database: %v, want ErrUnavailable", what, err)
			}
			if strings.Contains(err.Error(), cause) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on a read-only database: %v, want it to say %q", what, err, cause)
			}
		}
	}
	settle("Ping", "refuses writes", func() error { return s.Ping(t.Context()) })
	settle("CreateClient", "25006", func() error {
		return s.CreateClient(t.Context(), storage.Client{ID: "c1", Name: "c1", CreatedAt: time.Now(), UpdatedAt: time.Now()})
	})
	admin(`ALTER DATABASE `+name+` RESET default_transaction_read_only`, kick)
	// Each pooled connection that was killed fails once, then is replaced.
	deadline := time.Now().Add(3 * time.Second)
	for err := s.Ping(t.Context()); err != nil; err = s.Ping(t.Context()) {
		if !errors.Is(err, storage.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Ping once writable again: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
