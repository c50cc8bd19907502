package storage

import (
	"context"
	"time"
)

// Mail is one message in the durable outbox.
type Mail struct {
	ID      string
	To      string
	Subject string
	// Body is the message body as provider/mail sealed it (its links are
	// live credentials, so it is never stored readable). Storage keeps it
	// opaque and drops it (nil) once the mail is sent or given up.
	Body          []byte
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time
	// FailedAt is when the sender gave up on the mail; it is never claimed
	// again. Zero while it may still be sent.
	FailedAt  time.Time
	LastError string
}

// MailStore is the durable outbox.
type MailStore interface {
	// EnqueueMail returns ErrAlreadyExists.
	EnqueueMail(ctx context.Context, m Mail) error
	// ClaimMail leases up to limit unsent, not given up mails due at or before now, pushing
	// their NextAttemptAt to leaseUntil and counting an attempt, so that of
	// several replicas only one sends each mail.
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Mail, error)
	// MarkMailSent records delivery and drops the body. ErrNotFound.
	MarkMailSent(ctx context.Context, id string, now time.Time) error
	// MarkMailFailed records the error and when to try again. ErrNotFound.
	MarkMailFailed(ctx context.Context, id, lastError string, nextAttempt time.Time) error
	// GiveUpMail records the error and that the mail will never be sent:
	// ClaimMail no longer returns it, and its body is dropped. ErrNotFound.
	GiveUpMail(ctx context.Context, id, lastError string, now time.Time) error
	// ListMail returns the newest limit mails, sent or not.
	ListMail(ctx context.Context, limit int) ([]Mail, error)
	// MailQueue counts the mails still to be sent (neither sent nor given
	// up) and returns the CreatedAt of the oldest of them, zero when none.
	MailQueue(ctx context.Context) (MailQueueStats, error)
}

// MailQueueStats is the outbox's backlog.
type MailQueueStats struct {
	Pending int
	Oldest  time.Time
}
