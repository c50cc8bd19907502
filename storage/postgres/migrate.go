package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/migrations"
)

// migrationLock is the pg_advisory_xact_lock key that serializes migrations
// across replicas. The value is arbitrary but must never change, or old and
// new replicas would migrate at the same time.
const migrationLock int64 = 0x0571_a41e_3f1c_52a7

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	name       text PRIMARY KEY,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies the embedded migrations that the database lacks, in name
// order, each in its own transaction, and returns the names it applied.
//
// Every transaction first takes a transaction-level advisory lock and only
// then looks at schema_migrations, so replicas starting together queue up:
// each migration runs once, and the others see it recorded. A recorded
// migration whose checksum differs from the embedded file is an error naming
// it; nothing after it is applied.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	all, err := migrations.For("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, m := range all {
		ran, err := s.migrateOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate: %w", err)
		}
		if ran {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// migrateOne applies m unless it is recorded already, and reports whether it
// ran.
func (s *Store) migrateOne(ctx context.Context, m migrations.Migration) (ran bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", m.Name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return false, fmt.Errorf("%s: lock: %w", m.Name, err)
	}
	// Under the lock, so two first starts do not race to create it.
	if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var sum string
	err = tx.QueryRow(ctx, `SELECT checksum FROM schema_migrations WHERE name = $1`, m.Name).Scan(&sum)
	switch {
	case err == nil:
		if sum != m.Checksum {
			return false, fmt.Errorf("migration %s was applied with checksum %s but the embedded file has %s: an applied migration was edited",
				m.Name, sum, m.Checksum)
		}
		return false, tx.Commit(ctx)
	case !errors.Is(err, pgx.ErrNoRows):
		return false, fmt.Errorf("%s: read schema_migrations: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)`, m.Name, m.Checksum); err != nil {
		return false, fmt.Errorf("%s: record: %w", m.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("%s: commit: %w", m.Name, err)
	}
	return true, nil
}

// appliedMigrations returns the recorded migrations by name with their
// checksums.
func (s *Store) appliedMigrations(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT name, checksum FROM schema_migrations`)
	if err != nil {
		if pgCode(err) == codeUndefinedTable {
			return nil, fmt.Errorf("database is not migrated (no schema_migrations table)")
		}
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	out := map[string]string{}
	var name, sum string
	_, err = pgx.ForEachRow(rows, []any{&name, &sum}, func() error {
		out[name] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return out, nil
}
