// Package sqlite is the embedded storage backend: one database file, no
// server, no cgo (modernc.org/sqlite). It is the zero-setup default for a
// single `ostiary serve` process; several replicas need storage/postgres.
//
// SQLite has one writer at a time. Every write transaction starts with
// BEGIN IMMEDIATE, so two transactions never deadlock trying to upgrade a
// read lock; waiting for the lock is bounded by busy_timeout, after which
// the error wraps storage.ErrConflict and InTx retries.
package sqlite
