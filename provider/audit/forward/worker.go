package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// The worker settings provider.DefaultConfig gives; a Worker takes no
// defaults of its own (validate).
const (
	DefaultPollInterval = 2 * time.Second
	DefaultLease        = time.Minute
	DefaultBackoff      = 2 * time.Second
	DefaultMaxBackoff   = 5 * time.Minute
	DefaultTimeout      = 10 * time.Second
	DefaultBatchSize    = 100
)

// LeasePrefix and the sink's name make the lease a replica holds while it
// delivers that sink's queue.
const LeasePrefix = "audit-forward:"

// Store is the outbox as the worker reads it, and its leases.
type Store interface {
	PendingAuditForward(ctx context.Context, sink string, limit int) ([]storage.AuditDelivery, error)
	MarkAuditForwarded(ctx context.Context, sink, eventID string, now time.Time) error
	MarkAuditForwardFailed(ctx context.Context, sink, eventID, lastError string, nextAttempt time.Time) error
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Deliverer sends one event to a sink.
type Deliverer interface {
	Deliver(ctx context.Context, e storage.AuditEvent) error
	Close() error
}

// Sink is a configured destination.
type Sink struct {
	Route
	Deliverer
}

// Deps is what sinks need from the provider: the guarded HTTP client for
// webhooks (provider/outbound) and the clock that signs them.
type Deps struct {
	HTTP *http.Client
	Now  func() time.Time
}

// NewSinks builds the configured sinks; Validate has passed.
func NewSinks(cfgs []SinkConfig, deps Deps) []*Sink {
	var out []*Sink
	for _, c := range cfgs {
		r := Route{Name: c.Name, Events: Filter(c.Events)}
		switch c.Type {
		case TypeSyslog:
			out = append(out, &Sink{Route: r, Deliverer: newSyslog(c)})
		case TypeWebhook:
			now := deps.Now
			if now == nil {
				now = time.Now
			}
			out = append(out, &Sink{Route: r, Deliverer: &webhookSink{url: c.URL, secret: c.Secret, client: noRedirects(deps.HTTP), now: now}})
		}
	}
	return out
}

// noRedirects is c (its guard and limits) answering a redirect as it is:
// a receiver's 302 would turn the POST into a body-less GET, and its 200
// into a delivery.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// Routes are the sinks' names and filters, for the Outbox.
func Routes(sinks []*Sink) []Route {
	out := make([]Route, len(sinks))
	for i, s := range sinks {
		out[i] = s.Route
	}
	return out
}

// ErrLeaseLost: a pass stopped because another replica took the sink's
// lease (this one stalled for longer than Lease).
var ErrLeaseLost = errors.New("audit forwarding: lease lost to another process")

// Worker delivers the sinks' queues. Each sink's queue goes in Seq order:
// a delivery that fails holds back the later ones until it succeeds, so a
// receiver sees the events in order, and every event at least once; the
// event id lets it drop a repeat (after a crash between delivery and
// marking). Of several replicas, the one that holds a sink's lease
// delivers it; the lease is renewed before each delivery and outlasts
// one (Timeout < Lease/2).
type Worker struct {
	Store Store
	Sinks []*Sink
	Now   func() time.Time
	// Holder names this process in the leases; default a random id.
	Holder string
	// PollInterval is how often an idle sink's queue is looked at.
	PollInterval time.Duration
	// Lease is how long a pass holds a sink.
	Lease time.Duration
	// Backoff is the wait after the first failure, doubled after each
	// next one up to MaxBackoff. Failures are retried for as long as it
	// takes: nothing is dropped.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one delivery.
	Timeout time.Duration
	// BatchSize is how many deliveries one read of a queue returns.
	BatchSize int
	Logger    *slog.Logger

	once      sync.Once
	wake      []chan struct{}
	configErr error
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Holder == "" {
			w.Holder = randtoken.ID()
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		w.wake = make([]chan struct{}, len(w.Sinks))
		for i := range w.wake {
			w.wake[i] = make(chan struct{}, 1)
		}
		var errs []error
		for _, d := range []struct {
			name string
			v    time.Duration
		}{{"PollInterval", w.PollInterval}, {"Lease", w.Lease}, {"Backoff", w.Backoff}, {"MaxBackoff", w.MaxBackoff}, {"Timeout", w.Timeout}} {
			if d.v <= 0 {
				errs = append(errs, fmt.Errorf("%s is %v, want a positive duration", d.name, d.v))
			}
		}
		if w.Timeout*2 >= w.Lease {
			errs = append(errs, fmt.Errorf("the Timeout %v must be under half the Lease %v", w.Timeout, w.Lease))
		}
		if w.BatchSize < 1 {
			errs = append(errs, fmt.Errorf("BatchSize is %d, want at least 1", w.BatchSize))
		}
		if err := errors.Join(errs...); err != nil {
			w.configErr = fmt.Errorf("audit forwarding: %w", err)
		}
	})
}

// Wake makes a running worker look at every queue now. It never blocks.
func (w *Worker) Wake() {
	w.init()
	for _, c := range w.wake {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends, one loop per sink, then closes the sinks.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	if w.configErr != nil {
		w.Logger.ErrorContext(ctx, "audit forwarding: not running", "err", w.configErr)
		return
	}
	var wg sync.WaitGroup
	for i, s := range w.Sinks {
		wg.Go(func() { w.runSink(ctx, s, w.wake[i]) })
	}
	wg.Wait()
	for _, s := range w.Sinks {
		_ = s.Close()
	}
}

func (w *Worker) runSink(ctx context.Context, s *Sink, wake chan struct{}) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		if _, err := w.Pass(ctx, s); err != nil && ctx.Err() == nil {
			w.Logger.ErrorContext(ctx, "audit forwarding", "sink", s.Name, "err", err)
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(w.PollInterval)
	}
}

// Pass delivers s's due queue in order under the sink's lease, until the
// queue is empty, a delivery fails (the rest waits for its retry) or
// another replica holds the lease. It returns how many it delivered.
func (w *Worker) Pass(ctx context.Context, s *Sink) (int, error) {
	w.init()
	if w.configErr != nil {
		return 0, w.configErr
	}
	lease := LeasePrefix + s.Name
	now := w.Now()
	ok, err := w.Store.AcquireLease(ctx, lease, w.Holder, now, now.Add(w.Lease))
	if err != nil || !ok {
		return 0, err
	}
	// Released even when ctx ended, so another replica need not wait.
	defer func() { _ = w.Store.ReleaseLease(context.WithoutCancel(ctx), lease, w.Holder) }()
	renewAt := now.Add(w.Lease / 2)
	delivered := 0
	for ctx.Err() == nil {
		queue, err := w.Store.PendingAuditForward(ctx, s.Name, w.BatchSize)
		if err != nil {
			return delivered, fmt.Errorf("read queue: %w", err)
		}
		if len(queue) == 0 {
			return delivered, nil
		}
		for _, d := range queue {
			now := w.Now()
			if d.NextAttemptAt.After(now) || ctx.Err() != nil {
				// The head waits for its retry; the rest waits behind it.
				return delivered, nil
			}
			if !now.Before(renewAt) {
				ok, err := w.Store.AcquireLease(ctx, lease, w.Holder, now, now.Add(w.Lease))
				if err != nil {
					return delivered, fmt.Errorf("renew lease: %w", err)
				}
				if !ok {
					return delivered, ErrLeaseLost
				}
				renewAt = now.Add(w.Lease / 2)
			}
			// A delivery under way when ctx ends is finished and marked.
			ok, err := w.deliver(context.WithoutCancel(ctx), s, d)
			if err != nil || !ok {
				return delivered, err
			}
			delivered++
		}
	}
	return delivered, nil
}

// deliver tries d once and records the outcome; ok reports a delivery, the
// error is the store's.
func (w *Worker) deliver(ctx context.Context, s *Sink, d storage.AuditDelivery) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, w.Timeout)
	err := s.Deliver(dctx, d.Event)
	cancel()
	now := w.Now()
	if err == nil {
		if err := w.Store.MarkAuditForwarded(ctx, s.Name, d.Event.ID, now); err != nil {
			// Delivered but not marked: it goes again, with the same id.
			return false, fmt.Errorf("mark %s delivered: %w", d.Event.ID, err)
		}
		return true, nil
	}
	attempt := d.Attempts + 1
	next := now.Add(mail.Backoff(w.Backoff, w.MaxBackoff, attempt))
	w.Logger.WarnContext(ctx, "audit forwarding: not delivered; will retry", "sink", s.Name, "event_id", d.Event.ID,
		"attempt", attempt, "retry_at", next, "err", err)
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if err := w.Store.MarkAuditForwardFailed(ctx, s.Name, d.Event.ID, msg, next); err != nil {
		return false, fmt.Errorf("mark %s failed: %w", d.Event.ID, err)
	}
	return false, nil
}
