package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

const auditCols = `id, time, type, actor_id, subject_id, client_id, org_id, ip, details`

func scanAudit(r rowScanner) (storage.AuditEvent, error) {
	var e storage.AuditEvent
	err := r.Scan(&e.ID, timeCol{&e.Time}, &e.Type, &e.ActorID, &e.SubjectID, &e.ClientID, &e.OrgID, &e.IP, dictCol{&e.Details})
	return e, err
}

// AppendAudit returns storage.ErrAlreadyExists on a taken id.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	_, err := s.exec(ctx, `INSERT INTO audit_events (`+auditCols+`) VALUES (`+placeholders(9)+`)`,
		e.ID, ts(e.Time), e.Type, e.ActorID, e.SubjectID, e.ClientID, e.OrgID, e.IP, dict(e.Details))
	if err != nil {
		return fmt.Errorf("sqlite: append audit event %q: %w", e.ID, err)
	}
	return nil
}

// Audit page sizes.
const (
	auditDefaultLimit = 100
	auditMaxLimit     = 1000
)

// ListAudit returns matching events, newest first. Since and Until are
// inclusive.
func (s *Store) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{{"type", f.Type}, {"actor_id", f.ActorID}, {"subject_id", f.SubjectID}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where = append(where, "time <= ?")
		args = append(args, f.Until.UnixMicro())
	}
	if f.BeforeID != "" {
		where = append(where, "(time, id) < (SELECT time, id FROM audit_events WHERE id = ?)")
		args = append(args, f.BeforeID)
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = auditDefaultLimit
	case limit > auditMaxLimit:
		limit = auditMaxLimit
	}
	query := `SELECT ` + auditCols + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	out, err := queryList(ctx, s, scanAudit, query+` ORDER BY time DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit events: %w", err)
	}
	return out, nil
}

// Hit counts one attempt for key in one upsert: a window that has ended
// (reset_at at or before now) starts over.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, errors.New("sqlite: throttle hit: the window must be positive")
	}
	var count int
	var reset int64
	err := s.q(ctx).QueryRowContext(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES (?1, 1, ?2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN throttle.reset_at <= ?3 THEN 1 ELSE throttle.count + 1 END,
			reset_at = CASE WHEN throttle.reset_at <= ?3 THEN ?2 ELSE throttle.reset_at END
		RETURNING count, reset_at`, key, now.Add(window).UnixMicro(), now.UnixMicro()).Scan(&count, &reset)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: throttle hit: %w", wrapDB(err))
	}
	return count, time.UnixMicro(reset).UTC(), nil
}

// Peek returns the count of the current window without counting; zero
// when the key is unknown or its window has ended.
func (s *Store) Peek(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var count int
	var reset int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT count, reset_at FROM throttle WHERE key = ? AND reset_at > ?`,
		key, now.UnixMicro()).Scan(&count, &reset)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: throttle peek: %w", wrapDB(err))
	}
	return count, time.UnixMicro(reset).UTC(), nil
}

// Reset forgets key.
func (s *Store) Reset(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM throttle WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: throttle reset: %w", err)
	}
	return nil
}
