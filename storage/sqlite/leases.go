package sqlite

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes, renews or refuses the named lease in one upsert: the
// update applies only when the lease is expired or already the holder's.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, until.UnixMicro(), now.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: acquire lease %q: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease frees the lease if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("sqlite: release lease %q: %w", name, err)
	}
	return nil
}
