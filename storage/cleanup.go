package storage

import (
	"context"
	"time"
)

// CleanupStore removes rows that have outlived their use. Every method
// deletes at most limit rows in one statement and returns how many, so a
// caller sweeps a large backlog in short batches instead of one long
// transaction that would hold locks against the token endpoint.
type CleanupStore interface {
	// DeleteExpiredOneTimeTokens removes email, reset and invitation tokens
	// that expired before now.
	DeleteExpiredOneTimeTokens(ctx context.Context, now time.Time, limit int) (int, error)
	// DeleteExpiredMFAChallenges removes half-finished second-factor
	// sign-ins that expired before now.
	DeleteExpiredMFAChallenges(ctx context.Context, now time.Time, limit int) (int, error)
	// DeleteOldMail removes mails sent before sentBefore and mails given
	// up before failedBefore. Mails still waiting to be sent are never
	// removed; a zero time removes nothing of that kind.
	DeleteOldMail(ctx context.Context, sentBefore, failedBefore time.Time, limit int) (int, error)
	// DeleteExpiredThrottles removes counters whose window ended before now.
	DeleteExpiredThrottles(ctx context.Context, now time.Time, limit int) (int, error)
	// DeleteExpiredDPoPProofs removes remembered DPoP proof jtis that
	// expired before now.
	DeleteExpiredDPoPProofs(ctx context.Context, now time.Time, limit int) (int, error)
	// DeleteExpiredSAMLAssertions removes remembered SAML assertion IDs
	// that expired before now.
	DeleteExpiredSAMLAssertions(ctx context.Context, now time.Time, limit int) (int, error)
	// DeleteAuditBefore removes audit events older than before.
	DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error)
}
