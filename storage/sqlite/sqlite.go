package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	// Registers the "sqlite" database/sql driver (pure Go, no cgo).
	_ "modernc.org/sqlite"

	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/dbtrace"
)

var _ storage.Store = (*Store)(nil)

// busyTimeout bounds how long a statement waits for another connection's
// write lock before failing with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is the SQLite implementation of storage.Store. It is safe for
// concurrent use.
type Store struct {
	db    *sql.DB
	stmts *stmtCache
	path  string
	// trace starts the spans of statements; nil: no tracing.
	trace *dbtrace.Tracer
}

// Option adjusts Open.
type Option func(*Store)

// WithTracing gives every statement (and BEGIN, COMMIT) a client span, a
// child of the span in its context; nil tp is no tracing.
func WithTracing(tp trace.TracerProvider) Option {
	return func(s *Store) { s.trace = dbtrace.New(tp, semconv.DBSystemNameSQLite) }
}

// Open opens (creating it and its directory if needed) the database at
// path. It does not migrate; call Migrate.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
	}
	// Create the file ourselves so it is private: it holds password hashes
	// and encrypted keys. SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Every read-write transaction takes the write lock at BEGIN.
	q.Set("_txlock", "immediate")
	// A file: URI is percent-decoded and ends its path at '?' or '#'.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+uriPath+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: %s: journal mode is %q, want wal: %v", path, mode, err)
	}
	st := &Store{db: db, path: path}
	for _, o := range opts {
		o(st)
	}
	st.stmts = newStmtCache(db, st.trace)
	return st, nil
}

// Close releases the database. Calling it again is harmless.
func (s *Store) Close() error {
	// Closing a statement twice is harmless; the pool's error is the one
	// that matters.
	_ = s.stmts.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// Ping reports whether the database answers and every embedded migration
// has been applied unchanged.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	pending, err := s.pending(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if len(pending) > 0 {
		return fmt.Errorf("sqlite: ping: migrations not applied: %s", strings.Join(pending, ", "))
	}
	return nil
}

// DBStats are the connection pool's statistics, for the metrics.
func (s *Store) DBStats() sql.DBStats { return s.db.Stats() }
