// Package postgres is the PostgreSQL backend of storage.Store, built on pgx
// and pgxpool. It is the store for more than one replica: every method is a
// single statement or a short transaction whose races are settled in the
// database (conditional updates, DELETE ... RETURNING, FOR UPDATE SKIP LOCKED,
// compare-and-swap on a version column), and migrations are serialized across
// processes with a transaction-level advisory lock.
//
// The SQL sticks to plain types and statements so that PostgreSQL-compatible
// distributed engines can run it: no extensions, no stored procedures, and
// serialization failures (SQLSTATE 40001) are retried by InTx.
//
// Tests get a throwaway server from the pgtest subpackage.
package postgres
