package storage

import (
	"context"
	"time"
)

// LeaseStore keeps named leases: a lease held by one process keeps the
// others out of some background job until it expires or is released,
// without holding a database connection or transaction meanwhile.
type LeaseStore interface {
	// AcquireLease gives the named lease to holder until until, if it is
	// free, expired at now, or held by holder already (a renewal). It
	// reports whether holder holds the lease now; of concurrent callers
	// for a free lease exactly one gets it.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease frees the lease if holder holds it; otherwise it does
	// nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
}
