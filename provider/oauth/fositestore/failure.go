package fositestore

import (
	"errors"

	"github.com/ostiary/ostiary/storage"
)

// storageFailure marks an error of the store that is none of its documented
// outcomes (not found, conflict, ...): the database failed. fosite wraps what
// GetClient and the token lookups return into invalid_client, invalid_grant
// or an inactive token; this mark, found anywhere in the chain, makes the
// answer a 5xx instead, since it says nothing about the client's
// credentials or token (a client library treats invalid_client as
// permanent).
type storageFailure struct{ err error }

func (e *storageFailure) Error() string { return e.err.Error() }
func (e *storageFailure) Unwrap() error { return e.err }

// StorageFailed reports whether err is, or wraps, a failure of the database.
func StorageFailed(err error) bool {
	var sf *storageFailure
	return errors.As(err, &sf) || errors.Is(err, storage.ErrUnavailable)
}
