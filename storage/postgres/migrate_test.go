package postgres_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/migrations"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

func allMigrations(t *testing.T) []string {
	t.Helper()
	ms, err := migrations.For("postgres")
	if err != nil {
		t.Fatalf("migrations.For: %v", err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded postgres migrations")
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names
}

// rawExec runs sql on dsn outside the store, to inspect or tamper with it.
func rawExec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func recorded(t *testing.T, dsn string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return names
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	s := openStore(t, dsn)
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "not migrated") {
		t.Errorf("Ping before Migrate = %v, want a 'not migrated' error", err)
	}

	want := allMigrations(t)
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if !slices.Equal(applied, want) {
		t.Errorf("first Migrate applied %v, want %v", applied, want)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after Migrate: %v", err)
	}

	applied, err = s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	// Another process starting later sees the same.
	applied, err = openStore(t, dsn).Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate from a second store = %v, %v; want nothing applied", applied, err)
	}
	if got := recorded(t, dsn); !slices.Equal(got, want) {
		t.Errorf("schema_migrations = %v, want %v", got, want)
	}
}

func TestMigrateDetectsEditedMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	s := openStore(t, dsn)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	first := allMigrations(t)[0]
	// As if the file had been edited after it was applied.
	rawExec(t, dsn, `UPDATE schema_migrations SET checksum = 'edited' WHERE name = $1`, first)

	_, err := s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("Migrate with an edited migration = %v, want a checksum error naming %s", err, first)
	}
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), first) {
		t.Errorf("Ping with an edited migration = %v, want an error naming %s", err, first)
	}

	rawExec(t, dsn, `DELETE FROM schema_migrations WHERE name = $1`, first)
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "not applied") {
		t.Errorf("Ping with a missing migration = %v, want a 'not applied' error", err)
	}
}

// TestMigrateConcurrently: replicas starting together on an empty database
// both succeed, and each migration runs exactly once (a second run of
// 0001 would fail on CREATE TABLE).
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	const replicas = 4
	stores := make([]*postgres.Store, replicas)
	for i := range stores {
		stores[i] = openStore(t, dsn)
	}
	applied := make([][]string, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = s.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()

	var all []string
	for i := range stores {
		if errs[i] != nil {
			t.Errorf("Migrate in replica %d: %v", i, errs[i])
		}
		all = append(all, applied[i]...)
	}
	slices.Sort(all)
	want := allMigrations(t)
	if !slices.Equal(all, want) {
		t.Errorf("migrations applied across replicas = %v, want each of %v once", all, want)
	}
	if got := recorded(t, dsn); !slices.Equal(got, want) {
		t.Errorf("schema_migrations = %v, want %v", got, want)
	}
	for i, s := range stores {
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping in replica %d: %v", i, err)
		}
	}
}
