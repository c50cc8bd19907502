package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

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
	e.Details, err = decodeDetails(e.ID, details)
	return e, err
}

// decodeDetails reads an event's details column; none is nil.
func decodeDetails(id string, details []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(details, &m); err != nil {
		return nil, fmt.Errorf("decode details of %q: %w", id, err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
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
