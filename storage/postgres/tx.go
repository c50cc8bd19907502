package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

// errNoTx is returned by Commit and Rollback for a context without one of
// this Store's transactions.
var errNoTx = errors.New("postgres: no transaction in context")

// BeginTX starts a READ COMMITTED transaction and returns a context carrying
// it. fosite uses it around code redemption and refresh rotation; it cannot
// retry, so it gets the level that does not fail spuriously, and the races
// that matter are settled by the store's conditional updates
// (InvalidateToken), which are correct at any level.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if _, ok := s.txFrom(ctx); ok {
		return ctx, errors.New("postgres: begin: context already carries a transaction")
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return ctx, dbErr("postgres: begin", err)
	}
	return context.WithValue(ctx, txKey{}, txValue{store: s, tx: tx}), nil
}

// Commit commits the transaction in ctx. A serialization failure or deadlock
// comes back wrapping storage.ErrConflict.
func (s *Store) Commit(ctx context.Context) error {
	tx, ok := s.txFrom(ctx)
	if !ok {
		return errNoTx
	}
	if err := tx.Commit(ctx); err != nil {
		return dbErr("postgres: commit", err)
	}
	return nil
}

// Rollback abandons the transaction in ctx. Rolling back a transaction that
// is already finished is not an error, so a deferred Rollback after Commit is
// harmless.
func (s *Store) Rollback(ctx context.Context) error {
	tx, ok := s.txFrom(ctx)
	if !ok {
		return errNoTx
	}
	// A cancelled ctx must not keep the rollback from reaching the server,
	// or the connection would go back to the pool mid-transaction.
	err := tx.Rollback(context.WithoutCancel(ctx))
	if err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return dbErr("postgres: rollback", err)
	}
	return nil
}

// InTx runs fn in a SERIALIZABLE transaction, so that read-check-write logic
// in fn (say, "not the last owner") holds against concurrent callers. When
// the database reports a serialization failure or a deadlock, fn runs again
// after a short randomized pause, up to maxAttempts times; then the error
// wraps storage.ErrConflict. Any other error from fn comes back unchanged.
// If ctx already carries a transaction, fn runs in it once.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := s.txFrom(ctx); ok {
		return fn(ctx)
	}
	pause := 2 * time.Millisecond
	var err error
	for attempt := 1; attempt <= s.maxAttempts; attempt++ {
		err = s.transact(ctx, fn)
		if !isRetryable(err) {
			return err
		}
		if attempt == s.maxAttempts {
			break
		}
		// Jitter keeps the contenders of one round from meeting again in
		// the next.
		d := pause/2 + rand.N(pause)
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres: transaction: %w", ctx.Err())
		case <-time.After(d):
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("postgres: transaction gave up after %d attempts: %w", s.maxAttempts, err)
	}
	return fmt.Errorf("postgres: transaction gave up after %d attempts: %w (%w)", s.maxAttempts, storage.ErrConflict, err)
}

// transact runs fn once in a new transaction.
func (s *Store) transact(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return dbErr("postgres: begin", err)
	}
	defer func() {
		// The statement error is what matters; a failed rollback only means
		// the connection is discarded. A panic in fn must not leave the
		// connection in the pool mid-transaction either.
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, txValue{store: s, tx: tx})); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return dbErr("postgres: commit", err)
	}
	return nil
}
