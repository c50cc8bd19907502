package fositestore

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

// Transactions (fosite's storage.Transactional): what a code exchange or a
// refresh writes, in one transaction and as few statements as it can.

// pendingWrites are records created in a fosite transaction and not yet
// written: fosite stores a grant's access token and then its refresh
// token, two round trips that CreateTokens makes one. Nothing reads the
// access token's record before the transaction ends, and every pending
// record is written before it commits.
type pendingWrites struct {
	recs []storage.TokenRecord
	// successor is the record key of the refresh token a grace-period
	// refresh hands out again instead of storing a new one.
	successor string
}

type pendingKey struct{ a *Adapter }

func (a *Adapter) pending(ctx context.Context) *pendingWrites {
	p, _ := ctx.Value(pendingKey{a}).(*pendingWrites)
	return p
}

// flush writes the pending records and then more, in one statement.
func (a *Adapter) flush(ctx context.Context, more ...storage.TokenRecord) error {
	recs := more
	if p := a.pending(ctx); p != nil && len(p.recs) > 0 {
		recs = append(p.recs, more...)
		p.recs = nil
	}
	var err error
	switch len(recs) {
	case 0:
		return nil
	case 1:
		err = a.store.CreateToken(ctx, recs[0])
	default:
		err = a.store.CreateTokens(ctx, recs...)
	}
	if err != nil {
		return mapErr(fmt.Errorf("oauth: store tokens: %w", err))
	}
	return nil
}

func (a *Adapter) BeginTX(ctx context.Context) (context.Context, error) {
	tx, err := a.store.BeginTX(ctx)
	if err != nil {
		return tx, mapErr(err)
	}
	return context.WithValue(tx, pendingKey{a}, &pendingWrites{}), nil
}

// Commit writes what is pending first; if that fails the transaction is
// rolled back here (fosite does not always roll back after a failed
// commit).
func (a *Adapter) Commit(ctx context.Context) error {
	if err := a.flush(ctx); err != nil {
		_ = a.store.Rollback(ctx)
		return err
	}
	return mapErr(a.store.Commit(ctx))
}

func (a *Adapter) Rollback(ctx context.Context) error {
	if p := a.pending(ctx); p != nil {
		p.recs, p.successor = nil, ""
	}
	return mapErr(a.store.Rollback(ctx))
}
