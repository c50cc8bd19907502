package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

// QueueAuditForward queues eventID for each sink in one statement;
// storage.ErrAlreadyExists when one is queued already.
func (s *Store) QueueAuditForward(ctx context.Context, eventID string, sinks []string, now time.Time) error {
	if len(sinks) == 0 {
		return nil
	}
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO audit_forward (event_id, sink, created_at)
		SELECT $1, u.sink, $3 FROM unnest($2::text[]) AS u(sink)`, eventID, sinks, ts(now))
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: queue audit event %q", eventID), err)
	}
	return nil
}

const auditForwardColumns = `f.seq, f.sink, f.created_at, f.attempts, f.next_attempt_at, f.delivered_at, f.last_error, ` +
	`e.id, e.time, e.type, e.actor_id, e.subject_id, e.client_id, e.org_id, e.ip, e.details`

func scanAuditDelivery(row pgx.Row) (storage.AuditDelivery, error) {
	var d storage.AuditDelivery
	var attempts int64
	var details []byte
	e := &d.Event
	err := row.Scan(&d.Seq, &d.Sink, scanTime(&d.CreatedAt), &attempts, scanTime(&d.NextAttemptAt), scanTime(&d.DeliveredAt), &d.LastError,
		&e.ID, scanTime(&e.Time), &e.Type, &e.ActorID, &e.SubjectID, &e.ClientID, &e.OrgID, &e.IP, &details)
	if err != nil {
		return d, err
	}
	d.Attempts = int(attempts)
	e.Details, err = decodeDetails(e.ID, details)
	return d, err
}

// PendingAuditForward returns sink's first limit undelivered deliveries in
// seq order.
func (s *Store) PendingAuditForward(ctx context.Context, sink string, limit int) ([]storage.AuditDelivery, error) {
	op := fmt.Sprintf("postgres: pending audit deliveries of %q", sink)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+auditForwardColumns+`
		FROM audit_forward f JOIN audit_events e ON e.id = f.event_id
		WHERE f.sink = $1 AND f.delivered_at IS NULL ORDER BY f.seq LIMIT $2`, sink, limit)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanAuditDelivery)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// MarkAuditForwarded records the delivery if still undelivered: of two
// replicas marking one delivery, one sees storage.ErrNotFound.
func (s *Store) MarkAuditForwarded(ctx context.Context, sink, eventID string, now time.Time) error {
	op := fmt.Sprintf("postgres: mark audit delivery %q to %q", eventID, sink)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE audit_forward SET delivered_at = $3, last_error = ''
		WHERE event_id = $1 AND sink = $2 AND delivered_at IS NULL`, eventID, sink, ts(now))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, storage.ErrNotFound)
	}
	return nil
}

// MarkAuditForwardFailed counts a failed attempt.
func (s *Store) MarkAuditForwardFailed(ctx context.Context, sink, eventID, lastError string, nextAttempt time.Time) error {
	op := fmt.Sprintf("postgres: mark audit delivery %q to %q failed", eventID, sink)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE audit_forward SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4
		WHERE event_id = $1 AND sink = $2 AND delivered_at IS NULL`, eventID, sink, lastError, ts(nextAttempt))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, storage.ErrNotFound)
	}
	return nil
}

// DeleteForwardedAudit removes at most limit deliveries made before before.
func (s *Store) DeleteForwardedAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "forwarded audit deliveries", "audit_forward", "seq",
		`delivered_at < $1`, limit, ts(before))
}
