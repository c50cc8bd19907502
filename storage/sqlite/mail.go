package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const mailCols = `id, recipient, subject, body, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error`

func scanMail(r rowScanner) (storage.Mail, error) {
	var m storage.Mail
	err := r.Scan(&m.ID, &m.To, &m.Subject, &m.Body, timeCol{&m.CreatedAt}, &m.Attempts,
		timeCol{&m.NextAttemptAt}, timeCol{&m.SentAt}, timeCol{&m.FailedAt}, &m.LastError)
	return m, err
}

// EnqueueMail returns storage.ErrAlreadyExists.
func (s *Store) EnqueueMail(ctx context.Context, m storage.Mail) error {
	_, err := s.exec(ctx, `INSERT INTO mail (`+mailCols+`) VALUES (`+placeholders(10)+`)`,
		m.ID, m.To, m.Subject, m.Body, ts(m.CreatedAt), m.Attempts, ts(m.NextAttemptAt), ts(m.SentAt), ts(m.FailedAt), m.LastError)
	if err != nil {
		return fmt.Errorf("sqlite: enqueue mail %q: %w", m.ID, err)
	}
	return nil
}

// ClaimMail leases up to limit unsent mails due at or before now (a zero
// NextAttemptAt is due at once) in one statement, oldest due first.
func (s *Store) ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]storage.Mail, error) {
	out, err := queryList(ctx, s, scanMail, `UPDATE mail SET attempts = attempts + 1, next_attempt_at = ?
		WHERE id IN (SELECT id FROM mail WHERE sent_at IS NULL AND failed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
			ORDER BY next_attempt_at, id LIMIT ?)
		RETURNING `+mailCols, ts(leaseUntil), now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim mail: %w", err)
	}
	return out, nil
}

// MarkMailSent records delivery and drops the body. storage.ErrNotFound.
func (s *Store) MarkMailSent(ctx context.Context, id string, now time.Time) error {
	if err := s.execOne(ctx, notFound("mail %q", id), `UPDATE mail SET sent_at = ?, body = NULL WHERE id = ?`, ts(now), id); err != nil {
		return fmt.Errorf("sqlite: mark mail sent: %w", err)
	}
	return nil
}

// MarkMailFailed records the error and when to try again. storage.ErrNotFound.
func (s *Store) MarkMailFailed(ctx context.Context, id, lastError string, nextAttempt time.Time) error {
	err := s.execOne(ctx, notFound("mail %q", id), `UPDATE mail SET last_error = ?, next_attempt_at = ? WHERE id = ?`,
		lastError, ts(nextAttempt), id)
	if err != nil {
		return fmt.Errorf("sqlite: mark mail failed: %w", err)
	}
	return nil
}

// GiveUpMail records the error, drops the body and stops the mail from
// being claimed again. storage.ErrNotFound.
func (s *Store) GiveUpMail(ctx context.Context, id, lastError string, now time.Time) error {
	err := s.execOne(ctx, notFound("mail %q", id), `UPDATE mail SET last_error = ?, failed_at = ?, body = NULL WHERE id = ?`,
		lastError, ts(now), id)
	if err != nil {
		return fmt.Errorf("sqlite: give up mail: %w", err)
	}
	return nil
}

// ListMail returns the newest limit mails, sent or not.
func (s *Store) ListMail(ctx context.Context, limit int) ([]storage.Mail, error) {
	out, err := queryList(ctx, s, scanMail, `SELECT `+mailCols+` FROM mail ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list mail: %w", err)
	}
	return out, nil
}

// MailQueue counts the unsent, not given up mails and finds the oldest.
func (s *Store) MailQueue(ctx context.Context) (storage.MailQueueStats, error) {
	var st storage.MailQueueStats
	err := s.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM mail WHERE sent_at IS NULL AND failed_at IS NULL`).
		Scan(&st.Pending, timeCol{&st.Oldest})
	if err != nil {
		return storage.MailQueueStats{}, fmt.Errorf("sqlite: mail queue: %w", err)
	}
	return st, nil
}
