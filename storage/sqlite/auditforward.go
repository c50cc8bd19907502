package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// QueueAuditForward queues eventID for each sink; storage.ErrAlreadyExists
// when one is queued already.
func (s *Store) QueueAuditForward(ctx context.Context, eventID string, sinks []string, now time.Time) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		for _, sink := range sinks {
			if _, err := s.exec(ctx, `INSERT INTO audit_forward (event_id, sink, created_at) VALUES (?, ?, ?)`,
				eventID, sink, now.UnixMicro()); err != nil {
				return fmt.Errorf("sqlite: queue audit event %q for %q: %w", eventID, sink, err)
			}
		}
		return nil
	})
}

const auditForwardCols = `f.seq, f.sink, f.created_at, f.attempts, f.next_attempt_at, f.delivered_at, f.last_error, ` +
	`e.id, e.time, e.type, e.actor_id, e.subject_id, e.client_id, e.org_id, e.ip, e.details`

func scanAuditDelivery(r rowScanner) (storage.AuditDelivery, error) {
	var d storage.AuditDelivery
	e := &d.Event
	err := r.Scan(&d.Seq, &d.Sink, timeCol{&d.CreatedAt}, &d.Attempts, timeCol{&d.NextAttemptAt}, timeCol{&d.DeliveredAt}, &d.LastError,
		&e.ID, timeCol{&e.Time}, &e.Type, &e.ActorID, &e.SubjectID, &e.ClientID, &e.OrgID, &e.IP, dictCol{&e.Details})
	return d, err
}

// PendingAuditForward returns sink's first limit undelivered deliveries in
// seq order.
func (s *Store) PendingAuditForward(ctx context.Context, sink string, limit int) ([]storage.AuditDelivery, error) {
	out, err := queryList(ctx, s, scanAuditDelivery, `SELECT `+auditForwardCols+`
		FROM audit_forward f JOIN audit_events e ON e.id = f.event_id
		WHERE f.sink = ? AND f.delivered_at IS NULL ORDER BY f.seq LIMIT ?`, sink, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending audit deliveries of %q: %w", sink, err)
	}
	return out, nil
}

// MarkAuditForwarded records the delivery if still undelivered.
func (s *Store) MarkAuditForwarded(ctx context.Context, sink, eventID string, now time.Time) error {
	err := s.execOne(ctx, notFound("pending audit delivery %q to %q", eventID, sink),
		`UPDATE audit_forward SET delivered_at = ?, last_error = '' WHERE event_id = ? AND sink = ? AND delivered_at IS NULL`,
		now.UnixMicro(), eventID, sink)
	if err != nil {
		return fmt.Errorf("sqlite: mark audit delivery: %w", err)
	}
	return nil
}

// MarkAuditForwardFailed counts a failed attempt.
func (s *Store) MarkAuditForwardFailed(ctx context.Context, sink, eventID, lastError string, nextAttempt time.Time) error {
	err := s.execOne(ctx, notFound("pending audit delivery %q to %q", eventID, sink),
		`UPDATE audit_forward SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
			WHERE event_id = ? AND sink = ? AND delivered_at IS NULL`,
		lastError, ts(nextAttempt), eventID, sink)
	if err != nil {
		return fmt.Errorf("sqlite: mark audit delivery failed: %w", err)
	}
	return nil
}

// DeleteForwardedAudit removes at most limit deliveries made before before.
func (s *Store) DeleteForwardedAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "forwarded audit deliveries", "audit_forward", `delivered_at < ?`, limit, before.UnixMicro())
}
