package postgres

import (
	"context"
	"fmt"
	"time"
)

// deleteBatch removes at most limit rows of table matching where, chosen by
// their primary key key (no ctid: the SQL stays portable to PostgreSQL-
// compatible distributed engines). where uses $1..$n for args; the limit
// comes after them.
func (s *Store) deleteBatch(ctx context.Context, what, table, key, where string, limit int, args ...any) (int, error) {
	args = append(args, limit)
	tag, err := s.q(ctx).Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s IN (
		SELECT %s FROM %s WHERE %s LIMIT $%d)`, table, key, key, table, where, len(args)), args...)
	if err != nil {
		return 0, dbErr("postgres: delete "+what, err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredOneTimeTokens removes at most limit tokens expired before now.
func (s *Store) DeleteExpiredOneTimeTokens(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired one-time tokens", "one_time_tokens", "token_hash",
		`expires_at < $1`, limit, ts(now))
}

// DeleteExpiredMFAChallenges removes at most limit challenges expired before now.
func (s *Store) DeleteExpiredMFAChallenges(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired second-factor challenges", "mfa_challenges", "token_hash",
		`expires_at < $1`, limit, ts(now))
}

// DeleteOldMail removes at most limit mails sent before sentBefore or given
// up before failedBefore; a zero time matches nothing.
func (s *Store) DeleteOldMail(ctx context.Context, sentBefore, failedBefore time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "old mail", "mail_outbox", "id",
		`sent_at < $1::timestamptz OR failed_at < $2::timestamptz`, limit, ts(sentBefore), ts(failedBefore))
}

// DeleteExpiredThrottles removes at most limit counters whose window ended
// before now.
func (s *Store) DeleteExpiredThrottles(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired throttle counters", "throttle", "key",
		`reset_at < $1`, limit, ts(now))
}

// DeleteAuditBefore removes at most limit audit events older than before.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "old audit events", "audit_events", "id",
		`time < $1`, limit, ts(before))
}
