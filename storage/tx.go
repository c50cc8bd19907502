package storage

import (
	"context"
)

// Transactor runs work in one database transaction carried in the context.
// Every Store method called with the returned context takes part in that
// transaction. The method set matches fosite's storage.Transactional so a
// store can be handed to fosite as it is.
type Transactor interface {
	// BeginTX starts a transaction and returns a context that carries it.
	// Calling it with a context that already carries one is an error.
	BeginTX(ctx context.Context) (context.Context, error)
	// Commit commits the transaction carried by ctx. Serialization failures
	// (PostgreSQL 40001/40P01, SQLite busy) are returned wrapping ErrConflict.
	Commit(ctx context.Context) error
	// Rollback abandons the transaction carried by ctx.
	Rollback(ctx context.Context) error
	// InTx runs fn in a transaction, committing when fn returns nil and rolling
	// back otherwise. A serialization failure retries fn a few times; after
	// that the error wraps ErrConflict. If ctx already carries a transaction fn
	// runs in it unchanged.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
