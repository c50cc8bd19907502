package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/storage"
)

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
