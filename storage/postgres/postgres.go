package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ostiary/ostiary/migrations"
	"github.com/ostiary/ostiary/storage"
)

var _ storage.Store = (*Store)(nil)

// Store is storage.Store on a PostgreSQL connection pool. It is safe for
// concurrent use, and any number of Stores (in any number of processes) may
// share one database.
type Store struct {
	pool *pgxpool.Pool
	// maxAttempts bounds how often InTx runs fn when the database reports a
	// serialization failure or deadlock.
	maxAttempts int
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string) and checks that it answers. It does not
// migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included.
		return nil, errors.New("postgres: open: invalid connection string")
	}
	for _, o := range opts {
		o(cfg.ConnConfig)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &Store{pool: pool, maxAttempts: 10}, nil
}

// Close releases the pool. Calling it again does nothing.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers, accepts writes and has every
// embedded migration applied with the checksum it has now. Migrations the
// binary does not know (a newer replica migrated first) do not count against
// it. A standby (pg_is_in_recovery) or a database whose new transactions are
// read-only (default_transaction_read_only) fails with ErrUnavailable: every
// sign-in and token request writes.
func (s *Store) Ping(ctx context.Context) error {
	var readOnly bool
	err := s.q(ctx).QueryRow(ctx,
		`SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'`).Scan(&readOnly)
	if err != nil {
		return dbErr("postgres: ping", err)
	}
	if readOnly {
		return fmt.Errorf("postgres: ping: %w: the database refuses writes (read-only transactions or a standby)", storage.ErrUnavailable)
	}
	want, err := migrations.For("postgres")
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	applied, err := s.appliedMigrations(ctx, s.q(ctx))
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	for _, m := range want {
		sum, ok := applied[m.Name]
		if !ok {
			return fmt.Errorf("postgres: ping: migration %s is not applied", m.Name)
		}
		if sum != m.Checksum {
			return fmt.Errorf("postgres: ping: migration %s was applied with a different checksum", m.Name)
		}
	}
	return nil
}

// querier is what both the pool and a transaction offer; every method runs
// its statements on q(ctx) so that it joins a transaction carried in ctx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// txKey carries a transaction in a context. The value remembers its Store, so
// a context from one Store never leaks its transaction into another.
type txKey struct{}

type txValue struct {
	store *Store
	tx    pgx.Tx
}

func (s *Store) txFrom(ctx context.Context) (pgx.Tx, bool) {
	v, ok := ctx.Value(txKey{}).(txValue)
	if !ok || v.store != s {
		return nil, false
	}
	return v.tx, true
}

func (s *Store) q(ctx context.Context) querier {
	if tx, ok := s.txFrom(ctx); ok {
		return tx
	}
	return s.pool
}

// SQLSTATE codes the store reacts to.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeUndefinedTable       = "42P01"
)

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// isRetryable reports a failure that running the transaction again may cure.
func isRetryable(err error) bool {
	c := pgCode(err)
	return c == codeSerializationFailure || c == codeDeadlockDetected
}

// dbErr wraps a database error with the operation, turning the SQLSTATEs the
// contract names into storage sentinels. The original error stays in the
// chain for logs.
func dbErr(op string, err error) error {
	switch pgCode(err) {
	case codeUniqueViolation:
		return fmt.Errorf("%s: %w (%w)", op, storage.ErrAlreadyExists, err)
	case codeSerializationFailure, codeDeadlockDetected:
		return fmt.Errorf("%s: %w (%w)", op, storage.ErrConflict, err)
	}
	if unavailable(err) {
		return fmt.Errorf("%s: %w (%w)", op, storage.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound is the error for a missing record.
func notFound(op string) error {
	return fmt.Errorf("%s: %w", op, storage.ErrNotFound)
}

// rowErr maps pgx.ErrNoRows to ErrNotFound and anything else through dbErr.
func rowErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(op)
	}
	return dbErr(op, err)
}

// insertUnder runs query, an INSERT … SELECT … WHERE EXISTS (the parent row)
// ON CONFLICT DO NOTHING, so that a refusal is zero rows rather than an error
// that would abort the caller's transaction, and then names the refusal:
// storage.ErrNotFound when parentTable has no row parentID, otherwise
// storage.ErrAlreadyExists.
func insertUnder(ctx context.Context, q querier, op, parentTable, parentID, query string, args ...any) error {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		if pgCode(err) == codeForeignKeyViolation {
			return fmt.Errorf("%s: %w (%w)", op, storage.ErrNotFound, err)
		}
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var parent bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+parentTable+` WHERE id = $1)`, parentID).Scan(&parent); err != nil {
		return dbErr(op, err)
	}
	if !parent {
		return notFound(op + ": no such " + strings.TrimSuffix(parentTable, "s"))
	}
	return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
}

// PoolStat is a snapshot of the connection pool's statistics, for the
// metrics.
func (s *Store) PoolStat() *pgxpool.Stat { return s.pool.Stat() }
