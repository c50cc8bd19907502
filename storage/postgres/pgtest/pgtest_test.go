package pgtest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), shared.admin.String())
	if err != nil {
		t.Fatalf("connect to the maintenance database: %v", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatalf("look up database %s: %v", name, err)
	}
	return exists
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN %q does not parse: %v", dsn, err)
	}
	return u.Path[1:]
}

// TestDSN: each call gets its own empty database, usable at once, and gone
// after the test's cleanup even if a connection to it was left open.
func TestDSN(t *testing.T) {
	t.Parallel()
	var first string
	t.Run("use", func(t *testing.T) {
		a, b := DSN(t), DSN(t)
		if a == b {
			t.Fatalf("two calls returned the same DSN %s", a)
		}
		first = dbName(t, a)
		conn, err := pgx.Connect(t.Context(), a)
		if err != nil {
			t.Fatalf("connect to a fresh database: %v", err)
		}
		// Deliberately left open: the drop must cope.
		var tables int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil {
			t.Fatalf("count tables: %v", err)
		}
		if tables != 0 {
			t.Errorf("fresh database has %d tables, want 0", tables)
		}
		if _, err := conn.Exec(t.Context(), `CREATE TABLE x (id bigint)`); err != nil {
			t.Fatalf("create a table: %v", err)
		}
		if !databaseExists(t, first) {
			t.Fatalf("database %s does not exist while in use", first)
		}
	})
	if first == "" {
		t.Skip("no database: the subtest was skipped or failed")
	}
	if databaseExists(t, first) {
		t.Errorf("database %s still exists after its test ended", first)
	}
}

// TestFindBinaries: the newest complete installation wins; one without a
// postgres binary is passed over.
func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	mk := func(version string, files ...string) {
		dir := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("9.6", "initdb", "postgres")
	mk("15", "initdb", "postgres")
	mk("17", "initdb") // incomplete
	mk("16", "initdb", "postgres")
	got, err := findBinaries(filepath.Join(root, "*", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "16", "bin"); got != want {
		t.Errorf("findBinaries = %s, want %s", got, want)
	}

	t.Setenv("PATH", t.TempDir())
	if _, err := findBinaries(filepath.Join(t.TempDir(), "*", "bin")); err == nil {
		t.Error("findBinaries found something in empty places")
	}
}
