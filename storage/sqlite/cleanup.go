package sqlite

import (
	"context"
	"fmt"
	"time"
)

// deleteBatch removes at most limit rows of table matching where (with
// args), by rowid so the statement stays one short write.
func (s *Store) deleteBatch(ctx context.Context, what, table, where string, limit int, args ...any) (int, error) {
	args = append(args, limit)
	n, err := s.exec(ctx, `DELETE FROM `+table+` WHERE rowid IN (SELECT rowid FROM `+table+` WHERE `+where+` LIMIT ?)`, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete %s: %w", what, err)
	}
	return int(n), nil
}

// DeleteExpiredOneTimeTokens removes at most limit tokens expired before now.
func (s *Store) DeleteExpiredOneTimeTokens(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired one-time tokens", "one_time_tokens", `expires_at < ?`, limit, now.UnixMicro())
}

// DeleteExpiredMFAChallenges removes at most limit challenges expired before now.
func (s *Store) DeleteExpiredMFAChallenges(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired second-factor challenges", "mfa_challenges", `expires_at < ?`, limit, now.UnixMicro())
}

// DeleteOldMail removes at most limit mails sent before sentBefore or given
// up before failedBefore; a zero time matches nothing.
func (s *Store) DeleteOldMail(ctx context.Context, sentBefore, failedBefore time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "old mail", "mail", `sent_at < ? OR failed_at < ?`, limit, ts(sentBefore), ts(failedBefore))
}

// DeleteExpiredThrottles removes at most limit counters whose window ended
// before now.
func (s *Store) DeleteExpiredThrottles(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired throttle counters", "throttle", `reset_at < ?`, limit, now.UnixMicro())
}

// DeleteAuditBefore removes at most limit audit events older than before.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "old audit events", "audit_events", `time < ?`, limit, before.UnixMicro())
}

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
