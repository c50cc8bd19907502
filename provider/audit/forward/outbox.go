package forward

import (
	"context"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// OutboxStore is where Outbox stores and queues.
type OutboxStore interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	QueueAuditForward(ctx context.Context, eventID string, sinks []string, now time.Time) error
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Route is a sink's name and filter, what queueing needs of it.
type Route struct {
	Name   string
	Events Filter
}

// Outbox stores audit events as the store does and queues each for the
// sinks whose filter takes it, in one transaction (the caller's, when ctx
// carries one): an event is never stored without its queue rows, nor
// queued without being stored. It goes where an audit store is expected
// (audit.Recorder's Store).
type Outbox struct {
	Store  OutboxStore
	Routes []Route
	Now    func() time.Time
	// Wake, when set, is called after an event was queued (the worker's
	// Wake); inside a caller's transaction the worker finds it at its next
	// poll.
	Wake func()
}

// AppendAudit stores e and queues it; storage.ErrAlreadyExists on a taken
// id.
func (o *Outbox) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	var sinks []string
	for _, r := range o.Routes {
		if r.Events.Match(e.Type) {
			sinks = append(sinks, r.Name)
		}
	}
	if len(sinks) == 0 {
		return o.Store.AppendAudit(ctx, e)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	err := o.Store.InTx(ctx, func(ctx context.Context) error {
		if err := o.Store.AppendAudit(ctx, e); err != nil {
			return err
		}
		return o.Store.QueueAuditForward(ctx, e.ID, sinks, now())
	})
	if err == nil && o.Wake != nil {
		o.Wake()
	}
	return err
}
