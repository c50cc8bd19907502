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
