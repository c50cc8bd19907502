package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/dbtrace"
)

// txKey carries a transaction of one Store in a context; keying by the
// store keeps two stores from using each other's transactions.
type txKey struct{ s *Store }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) tx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(txKey{s}).(*sql.Tx)
	return tx
}

// q returns the transaction carried by ctx, or the pool, running every
// statement prepared (stmtCache).
func (s *Store) q(ctx context.Context) querier {
	return cachedQuerier{c: s.stmts, tx: s.tx(ctx)}
}

// BeginTX starts a transaction (BEGIN IMMEDIATE) and returns a context
// carrying it.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if s.tx(ctx) != nil {
		return ctx, errors.New("sqlite: begin: the context carries a transaction already")
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return ctx, fmt.Errorf("sqlite: begin: %w", wrapDB(err))
	}
	return context.WithValue(ctx, txKey{s}, tx), nil
}

// Commit commits the transaction carried by ctx. SQLITE_BUSY wraps
// storage.ErrConflict.
func (s *Store) Commit(ctx context.Context) error {
	tx := s.tx(ctx)
	if tx == nil {
		return errors.New("sqlite: commit: no transaction in the context")
	}
	if err := s.commit(ctx, tx); err != nil {
		return fmt.Errorf("sqlite: commit: %w", wrapDB(err))
	}
	return nil
}

// begin is BEGIN IMMEDIATE, which waits for the write lock: traced, as a
// wait there is where a busy SQLite spends its time.
func (s *Store) begin(ctx context.Context) (*sql.Tx, error) {
	if s.trace == nil {
		return s.db.BeginTx(ctx, nil)
	}
	spanCtx, span := s.trace.Start(ctx, "BEGIN IMMEDIATE")
	tx, err := s.db.BeginTx(spanCtx, nil)
	dbtrace.End(span, err)
	return tx, err
}

func (s *Store) commit(ctx context.Context, tx *sql.Tx) error {
	if s.trace == nil {
		return tx.Commit()
	}
	_, span := s.trace.Start(ctx, "COMMIT")
	err := tx.Commit()
	dbtrace.End(span, err)
	return err
}

// Rollback abandons the transaction carried by ctx.
func (s *Store) Rollback(ctx context.Context) error {
	tx := s.tx(ctx)
	if tx == nil {
		return errors.New("sqlite: rollback: no transaction in the context")
	}
	if err := tx.Rollback(); err != nil {
		return fmt.Errorf("sqlite: rollback: %w", err)
	}
	return nil
}

// txAttempts is how often InTx runs fn when the database stays busy.
const txAttempts = 5

// InTx runs fn in a transaction, or in the one ctx carries already. A busy
// database (another writer held the lock past busy_timeout) retries fn
// with a growing, jittered pause; the last error wraps storage.ErrConflict.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.tx(ctx) != nil {
		return fn(ctx)
	}
	var err error
	for attempt := range txAttempts {
		if err = s.runTx(ctx, fn); !isBusy(err) {
			return err
		}
		pause := time.Duration(10<<attempt)*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
	return err
}

func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	txctx, err := s.BeginTX(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = s.Rollback(txctx)
			panic(p)
		}
	}()
	if err := fn(txctx); err != nil {
		_ = s.Rollback(txctx)
		return err
	}
	return s.Commit(txctx)
}

// busyError is SQLite's "database is locked": a serialization failure the
// caller may retry. It matches storage.ErrConflict.
type busyError struct{ err error }

func (e *busyError) Error() string   { return e.err.Error() }
func (e *busyError) Unwrap() []error { return []error{storage.ErrConflict, e.err} }

func isBusy(err error) bool {
	var b *busyError
	return errors.As(err, &b)
}

// wrapDB maps SQLite result codes to the storage sentinels.
func wrapDB(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return &busyError{err}
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM:
		// The file cannot be written (permissions, a full disk) or read:
		// nothing the request did, and it may pass once fixed.
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %w", storage.ErrAlreadyExists, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: a record it refers to does not exist: %w", storage.ErrNotFound, err)
	}
	return err
}

// exec runs a statement and reports rows affected.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.q(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrapDB(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, nil
}

// execOne runs a statement that must touch one row; none is notFound.
func (s *Store) execOne(ctx context.Context, notFound error, query string, args ...any) error {
	n, err := s.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// notFound wraps storage.ErrNotFound with what was looked for.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), storage.ErrNotFound)
}

// noRows turns sql.ErrNoRows into ErrNotFound and maps other errors.
func noRows(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(format, args...)
	}
	return wrapDB(err)
}
