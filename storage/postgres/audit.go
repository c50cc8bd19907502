package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const auditColumns = `id, time, type, actor_id, subject_id, client_id, org_id, ip, details`

// Audit listing limits from the contract.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// AppendAudit returns storage.ErrAlreadyExists on a taken id.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("postgres: append audit event: %w", err)
		}
	}
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO audit_events (`+auditColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		e.ID, ts(e.Time), e.Type, e.ActorID, e.SubjectID, e.ClientID, e.OrgID, e.IP, details)
	if err != nil {
		return dbErr("postgres: append audit event", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: append audit event %q: %w", e.ID, storage.ErrAlreadyExists)
	}
	return nil
}

func scanAudit(row pgx.Row) (storage.AuditEvent, error) {
	var e storage.AuditEvent
	var details []byte
	err := row.Scan(&e.ID, scanTime(&e.Time), &e.Type, &e.ActorID, &e.SubjectID, &e.ClientID, &e.OrgID, &e.IP, &details)
	if err != nil {
		return e, err
	}
	var m map[string]string
	if err := json.Unmarshal(details, &m); err != nil {
		return e, fmt.Errorf("decode details of %q: %w", e.ID, err)
	}
	if len(m) > 0 {
		e.Details = m
	}
	return e, nil
}

// ListAudit returns matching events, newest first. Since is inclusive and
// Until exclusive; BeforeID pages by (time, id), the listing's own order, so
// events sharing an instant are neither skipped nor repeated.
func (s *Store) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	query := `SELECT ` + auditColumns + ` FROM audit_events WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Type != "" {
		query += ` AND type = ` + arg(f.Type)
	}
	if f.ActorID != "" {
		query += ` AND actor_id = ` + arg(f.ActorID)
	}
	if f.SubjectID != "" {
		query += ` AND subject_id = ` + arg(f.SubjectID)
	}
	if !f.Since.IsZero() {
		query += ` AND time >= ` + arg(ts(f.Since))
	}
	if !f.Until.IsZero() {
		query += ` AND time < ` + arg(ts(f.Until))
	}
	if f.BeforeID != "" {
		p := arg(f.BeforeID)
		query += ` AND (time, id) < (SELECT time, id FROM audit_events WHERE id = ` + p + `)`
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	limit = min(limit, maxAuditLimit)
	query += ` ORDER BY time DESC NULLS LAST, id DESC LIMIT ` + arg(limit)

	rows, err := s.q(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, dbErr("postgres: list audit events", err)
	}
	out, err := collect(rows, scanAudit)
	if err != nil {
		return nil, dbErr("postgres: list audit events", err)
	}
	return out, nil
}

// Hit counts one attempt in a single upsert: the row is created with a new
// window, or its count goes up, or (when its window has ended) it starts a
// new window, so concurrent hits from every replica are all counted.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var count int64
	var resetAt time.Time
	err := s.q(ctx).QueryRow(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES ($1, 1, $3)
		ON CONFLICT (key) DO UPDATE SET
			count    = CASE WHEN throttle.reset_at <= $2 THEN 1 ELSE throttle.count + 1 END,
			reset_at = CASE WHEN throttle.reset_at <= $2 THEN excluded.reset_at ELSE throttle.reset_at END
		RETURNING count, reset_at`, key, ts(now), ts(now.Add(window))).Scan(&count, scanTime(&resetAt))
	if err != nil {
		return 0, time.Time{}, dbErr("postgres: throttle hit", err)
	}
	return int(count), resetAt, nil
}

// Peek returns the count of the current window without counting: zero when
// the key has no window containing now.
func (s *Store) Peek(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var count int64
	var resetAt time.Time
	err := s.q(ctx).QueryRow(ctx, `SELECT count, reset_at FROM throttle WHERE key = $1 AND reset_at > $2`,
		key, ts(now)).Scan(&count, scanTime(&resetAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, dbErr("postgres: throttle peek", err)
	}
	return int(count), resetAt, nil
}

// Reset forgets key.
func (s *Store) Reset(ctx context.Context, key string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM throttle WHERE key = $1`, key); err != nil {
		return dbErr("postgres: throttle reset", err)
	}
	return nil
}
