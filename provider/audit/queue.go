package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// Queue records events in the background, for a caller that must not wait
// for the database: a refused client authentication answers its 401 at
// once, however slow or broken the store. Events are written in order by
// one worker. When Size events wait already (a flood of bad secrets), more
// are dropped, and the count is logged with the next event written: the
// flood cannot pile up writes or goroutines.
type Queue struct {
	store  Store
	log    *slog.Logger
	events chan queued
	// dropped counts events refused since the last report.
	dropped atomic.Int64
	// mu guards closed: Record after Close drops the event.
	mu     sync.RWMutex
	closed bool
	// start runs the worker at the first event: none runs for a process
	// that never refuses a client.
	start sync.Once
	done  chan struct{}
}

type queued struct {
	ctx context.Context
	e   storage.AuditEvent
}

// writeTimeout bounds one write, so a hung store does not hold the queue
// forever.
const writeTimeout = 5 * time.Second

// NewQueue returns a queue writing to store (the Recorder, so events are
// logged as stored) with room for size waiting events. Its worker starts
// with the first event; Close stops it.
func NewQueue(store Store, size int, log *slog.Logger) *Queue {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{store: store, log: log, events: make(chan queued, max(size, 1)), done: make(chan struct{})}
}

// Record queues e without blocking; with the queue full, e is dropped and
// counted. The write keeps ctx's values (its trace), not its deadline.
func (q *Queue) Record(ctx context.Context, e storage.AuditEvent) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.log.WarnContext(ctx, "audit: event after shutdown not recorded", "type", e.Type)
		return
	}
	q.start.Do(func() { go q.run() })
	select {
	case q.events <- queued{ctx: context.WithoutCancel(ctx), e: e}:
	default:
		q.dropped.Add(1)
	}
}

func (q *Queue) run() {
	defer close(q.done)
	for ev := range q.events {
		if n := q.dropped.Swap(0); n > 0 {
			q.log.Warn("audit: queue full, events dropped", "dropped", n)
		}
		ctx, cancel := context.WithTimeout(ev.ctx, writeTimeout)
		if err := q.store.AppendAudit(ctx, ev.e); err != nil {
			q.log.ErrorContext(ctx, "audit append failed", "type", ev.e.Type, "err", err)
		}
		cancel()
	}
}

// Close writes what is queued and stops the worker; an event recorded
// after it is logged as lost. Calling it again is harmless.
func (q *Queue) Close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.events)
	}
	q.mu.Unlock()
	// No event, no worker: nothing to wait for (and none starts now).
	q.start.Do(func() { close(q.done) })
	<-q.done
	if n := q.dropped.Swap(0); n > 0 {
		q.log.Warn("audit: queue full, events dropped", "dropped", n)
	}
}
