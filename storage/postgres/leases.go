package postgres

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes, renews or refuses the named lease in one upsert: the
// update applies only when the lease is expired or already the holder's.
// Concurrent inserts of a free lease are decided by the primary key.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
		name, holder, ts(until), ts(now))
	if err != nil {
		return false, dbErr(fmt.Sprintf("postgres: acquire lease %q", name), err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease frees the lease if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return dbErr(fmt.Sprintf("postgres: release lease %q", name), err)
	}
	return nil
}
