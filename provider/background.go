package provider

import (
	"context"
	"log/slog"
	"time"

	"github.com/ostiary/ostiary/provider/janitor"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/randtoken"
)

// JanitorConfig is the cleanup of expired rows. Interval 0 runs no janitor
// in serve (for operators who run `ostiary janitor run` from cron) and
// AuditRetention 0 keeps audit events forever; the janitor refuses the
// other settings zero.
type JanitorConfig struct {
	Interval            time.Duration
	BatchSize           int
	SentMailRetention   time.Duration
	FailedMailRetention time.Duration
	AuditRetention      time.Duration
	// ForwardedAuditRetention keeps delivered audit forwarding rows that
	// long (the idempotency keys a support question may need).
	ForwardedAuditRetention time.Duration
	// Pause is the wait between two batches of one table; Lease how long
	// a pass holds the lease.
	Pause, Lease time.Duration
}

// newJanitor builds the janitor serve runs and `ostiary janitor run` uses.
func newJanitor(c Config, store janitor.Store, logger *slog.Logger) *janitor.Janitor {
	j := c.Janitor
	return &janitor.Janitor{
		Store: store, Now: c.now, Interval: j.Interval, BatchSize: j.BatchSize,
		SentMailRetention: j.SentMailRetention, FailedMailRetention: j.FailedMailRetention,
		AuditRetention: j.AuditRetention, ForwardedAuditRetention: j.ForwardedAuditRetention,
		Pause: j.Pause, Lease: j.Lease, Logger: logger,
	}
}

// rotationCheckEvery is how often the schedule looks at the key set's age:
// a minute, or more often for the short intervals of tests.
func rotationCheckEvery(interval time.Duration) time.Duration {
	return max(min(time.Minute, interval/4), 10*time.Millisecond)
}

// newBackground lists the loops Run starts besides the mail worker.
func newBackground(cfg Config, svc *Services) []func(context.Context) {
	var out []func(context.Context)
	if cfg.RotationInterval > 0 {
		s := &keys.Schedule{Manager: svc.Keys, Interval: cfg.RotationInterval, CheckEvery: rotationCheckEvery(cfg.RotationInterval),
			Audit: svc.Audit, NewID: randtoken.ID}
		out = append(out, s.Run)
	}
	if cfg.Janitor.Interval > 0 {
		out = append(out, svc.Janitor.Run)
	}
	if svc.Forward != nil {
		out = append(out, svc.Forward.Run)
	}
	return out
}
