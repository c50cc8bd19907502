package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const mailColumns = `id, to_address, subject, body, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error`

func scanMail(row pgx.Row) (storage.Mail, error) {
	var m storage.Mail
	var attempts int64
	err := row.Scan(&m.ID, &m.To, &m.Subject, &m.Body, scanTime(&m.CreatedAt), &attempts,
		scanTime(&m.NextAttemptAt), scanTime(&m.SentAt), scanTime(&m.FailedAt), &m.LastError)
	m.Attempts = int(attempts)
	return m, err
}

// EnqueueMail returns storage.ErrAlreadyExists.
func (s *Store) EnqueueMail(ctx context.Context, m storage.Mail) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO mail_outbox (`+mailColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		m.ID, m.To, m.Subject, m.Body, ts(m.CreatedAt), int64(m.Attempts),
		ts(m.NextAttemptAt), ts(m.SentAt), ts(m.FailedAt), m.LastError)
	if err != nil {
		return dbErr("postgres: enqueue mail", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: enqueue mail %q: %w", m.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// ClaimMail leases up to limit unsent mails due at or before now (a zero
// NextAttemptAt is due at once) by pushing NextAttemptAt to leaseUntil and
// counting an attempt. FOR UPDATE SKIP LOCKED lets replicas claim at the
// same moment without waiting on each other or taking the same mail: a row
// another claimer holds is skipped, and one it has just leased no longer
// matches when re-checked.
func (s *Store) ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]storage.Mail, error) {
	rows, err := s.q(ctx).Query(ctx, `UPDATE mail_outbox SET next_attempt_at = $2, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
			ORDER BY next_attempt_at NULLS FIRST, created_at NULLS FIRST, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+mailColumns, ts(now), ts(leaseUntil), limit)
	if err != nil {
		return nil, dbErr("postgres: claim mail", err)
	}
	out, err := collect(rows, scanMail)
	if err != nil {
		return nil, dbErr("postgres: claim mail", err)
	}
	// RETURNING has no order; oldest first is what a sender expects.
	slices.SortFunc(out, func(a, b storage.Mail) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// MarkMailSent records delivery and drops the body. storage.ErrNotFound.
func (s *Store) MarkMailSent(ctx context.Context, id string, now time.Time) error {
	op := fmt.Sprintf("postgres: mark mail %q sent", id)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE mail_outbox SET sent_at = $2, body = NULL WHERE id = $1`, id, ts(now))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// MarkMailFailed records the error and when to try again. storage.ErrNotFound.
func (s *Store) MarkMailFailed(ctx context.Context, id, lastError string, nextAttempt time.Time) error {
	op := fmt.Sprintf("postgres: mark mail %q failed", id)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1`,
		id, lastError, ts(nextAttempt))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// GiveUpMail records the error, drops the body and stops the mail from
// being claimed again. storage.ErrNotFound.
func (s *Store) GiveUpMail(ctx context.Context, id, lastError string, now time.Time) error {
	op := fmt.Sprintf("postgres: give up mail %q", id)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE mail_outbox SET last_error = $2, failed_at = $3, body = NULL WHERE id = $1`,
		id, lastError, ts(now))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// ListMail returns the newest limit mails, sent or not.
func (s *Store) ListMail(ctx context.Context, limit int) ([]storage.Mail, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		ORDER BY created_at DESC NULLS LAST, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, dbErr("postgres: list mail", err)
	}
	out, err := collect(rows, scanMail)
	if err != nil {
		return nil, dbErr("postgres: list mail", err)
	}
	return out, nil
}

// MailQueue counts the unsent, not given up mails and finds the oldest.
func (s *Store) MailQueue(ctx context.Context) (storage.MailQueueStats, error) {
	var st storage.MailQueueStats
	var n int64
	err := s.q(ctx).QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM mail_outbox
		WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&n, scanTime(&st.Oldest))
	if err != nil {
		return storage.MailQueueStats{}, dbErr("postgres: mail queue", err)
	}
	st.Pending = int(n)
	return st, nil
}
