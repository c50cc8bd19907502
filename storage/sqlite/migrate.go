package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/migrations"
)

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    name       TEXT PRIMARY KEY,
    checksum   TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT`

// Migrate applies the embedded migrations that are not applied yet, in
// name order, one transaction each, and returns the names it applied. An
// applied migration whose file has changed since is an error naming it:
// the schema would no longer be what the code expects. Concurrent callers
// are serialized by SQLite's write lock.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	all, err := migrations.For("sqlite")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: create schema_migrations: %w", wrapDB(err))
	}
	for _, m := range all {
		done, err := s.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("sqlite: migrate: %w", err)
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// applyMigration runs m unless it is recorded already; it reports whether
// it ran.
func (s *Store) applyMigration(ctx context.Context, m migrations.Migration) (ran bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", m.Name, wrapDB(err))
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var sum string
	err = tx.QueryRowContext(ctx, `SELECT checksum FROM schema_migrations WHERE name = ?`, m.Name).Scan(&sum)
	switch {
	case err == nil && sum == m.Checksum:
		return false, tx.Rollback()
	case err == nil:
		return false, fmt.Errorf("%s was applied with checksum %s but the embedded file has %s: an applied migration must never change", m.Name, sum, m.Checksum)
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("%s: %w", m.Name, wrapDB(err))
	}
	if _, err = tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, wrapDB(err))
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)`,
		m.Name, m.Checksum, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("%s: record: %w", m.Name, wrapDB(err))
	}
	if err = tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: commit: %w", m.Name, wrapDB(err))
	}
	return true, nil
}

// pending lists embedded migrations that are not applied, or applied with
// another checksum.
func (s *Store) pending(ctx context.Context) ([]string, error) {
	all, err := migrations.For("sqlite")
	if err != nil {
		return nil, err
	}
	have := map[string]string{}
	rows, err := s.db.QueryContext(ctx, `SELECT name, checksum FROM schema_migrations`)
	if err != nil {
		// No table yet: nothing is applied.
		var exists int
		if qerr := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); qerr == nil && exists == 0 {
			rows = nil
		} else {
			return nil, wrapDB(err)
		}
	}
	if rows != nil {
		defer rows.Close()
		for rows.Next() {
			var name, sum string
			if err := rows.Scan(&name, &sum); err != nil {
				return nil, err
			}
			have[name] = sum
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, m := range all {
		switch sum, ok := have[m.Name]; {
		case !ok:
			out = append(out, m.Name)
		case sum != m.Checksum:
			out = append(out, m.Name+" (changed since applied)")
		}
	}
	return out, nil
}
