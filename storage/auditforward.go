package storage

import (
	"context"
	"time"
)

// AuditDelivery is one audit event queued for one forwarding sink (a
// syslog server, a webhook receiver). The pair (Event.ID, Sink) is unique:
// it is the delivery's idempotency key.
type AuditDelivery struct {
	// Seq orders a sink's deliveries: the order they were queued in.
	Seq  int64
	Sink string
	// Event is the stored audit event, read with the delivery.
	Event         AuditEvent
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   time.Time
	LastError     string
}

// AuditForwardStore is the durable outbox of audit forwarding. Queueing
// runs in the transaction that stores the event, so an event is either
// stored and queued or neither.
type AuditForwardStore interface {
	// QueueAuditForward queues the stored event eventID for each of sinks,
	// due at once. ErrAlreadyExists when the event is queued for one of
	// them already (nothing is queued then).
	QueueAuditForward(ctx context.Context, eventID string, sinks []string, now time.Time) error
	// PendingAuditForward returns the first limit undelivered deliveries
	// of sink in Seq order, each with its event.
	PendingAuditForward(ctx context.Context, sink string, limit int) ([]AuditDelivery, error)
	// MarkAuditForwarded records the delivery of eventID to sink at now,
	// if it was not delivered yet; ErrNotFound otherwise.
	MarkAuditForwarded(ctx context.Context, sink, eventID string, now time.Time) error
	// MarkAuditForwardFailed counts a failed attempt, its error and when
	// to try again. ErrNotFound when delivered already or not queued.
	MarkAuditForwardFailed(ctx context.Context, sink, eventID, lastError string, nextAttempt time.Time) error
	// DeleteForwardedAudit removes at most limit deliveries made before
	// before; undelivered ones are never removed. (Removing an audit event
	// removes its deliveries.)
	DeleteForwardedAudit(ctx context.Context, before time.Time, limit int) (int, error)
}
