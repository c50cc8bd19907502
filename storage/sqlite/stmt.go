package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/ostiary/ostiary/storage/dbtrace"
)

// maxCachedStmts bounds the statement cache. The store's SQL is a fixed set
// of strings (a few dozen, plus a handful of shapes of the bulk token
// update); past the bound a query simply runs unprepared.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query string. database/sql
// prepares nothing by itself: without it, every call parsed and planned its
// SQL again, about a quarter of a token request's CPU on SQLite. A cached
// *sql.Stmt is prepared lazily on each connection it runs on, and
// Tx.StmtContext reuses the one prepared on the transaction's connection.
// SQLite re-prepares a statement by itself when the schema changes.
type stmtCache struct {
	db *sql.DB
	// trace, when set, gives each statement run through the cache a span.
	trace *dbtrace.Tracer

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, t *dbtrace.Tracer) *stmtCache {
	return &stmtCache{db: db, trace: t, stmts: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, or nil when the cache is
// full or the statement cannot be prepared (then running it unprepared
// reports the error, exactly as before).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st := c.stmts[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[query]; st != nil {
		return st
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// cachedQuerier runs the store's statements prepared, on the pool or in the
// transaction tx.
type cachedQuerier struct {
	c  *stmtCache
	tx *sql.Tx
}

func (q cachedQuerier) raw() querier {
	if q.tx != nil {
		return q.tx
	}
	return q.c.db
}

func (q cachedQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	st := q.c.get(ctx, query)
	if st != nil && q.tx != nil {
		st = q.tx.StmtContext(ctx, st)
	}
	return st
}

func (q cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return traced(ctx, q.c.trace, query, func(ctx context.Context) (sql.Result, error) { return q.exec(ctx, query, args...) })
}

func (q cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return traced(ctx, q.c.trace, query, func(ctx context.Context) (*sql.Rows, error) { return q.query(ctx, query, args...) })
}

// traced runs a statement inside its span; with t nil, just runs it.
func traced[T any](ctx context.Context, t *dbtrace.Tracer, query string, run func(context.Context) (T, error)) (T, error) {
	if t == nil {
		return run(ctx)
	}
	ctx, span := t.Start(ctx, query)
	v, err := run(ctx)
	dbtrace.End(span, err)
	return v, err
}

func (q cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if q.c.trace == nil {
		return q.queryRow(ctx, query, args...)
	}
	ctx, span := q.c.trace.Start(ctx, query)
	row := q.queryRow(ctx, query, args...)
	// Err is the query's error; no rows is Scan's, and not a failure.
	dbtrace.End(span, row.Err())
	return row
}

func (q cachedQuerier) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.raw().ExecContext(ctx, query, args...)
}

func (q cachedQuerier) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.raw().QueryContext(ctx, query, args...)
}

func (q cachedQuerier) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.raw().QueryRowContext(ctx, query, args...)
}
