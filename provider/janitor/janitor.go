package janitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
)

// The settings provider.DefaultConfig gives; a Janitor takes no defaults
// of its own: a zero setting is an error (validate).
const (
	DefaultInterval            = 10 * time.Minute
	DefaultBatchSize           = 500
	DefaultPause               = 20 * time.Millisecond
	DefaultLease               = 2 * time.Minute
	DefaultSentMailRetention   = 7 * 24 * time.Hour
	DefaultFailedMailRetention = 30 * 24 * time.Hour
	// DefaultForwardedAuditRetention keeps delivered audit forwarding rows.
	DefaultForwardedAuditRetention = 7 * 24 * time.Hour
)

// LeaseName is the lease a pass holds.
const LeaseName = "janitor"

// Store is what the janitor deletes from, and its lease.
type Store interface {
	DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredAuthRequests(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredDeviceGrants(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredOneTimeTokens(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredMFAChallenges(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteOldMail(ctx context.Context, sentBefore, failedBefore time.Time, limit int) (int, error)
	DeleteExpiredThrottles(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredDPoPProofs(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteExpiredSAMLAssertions(ctx context.Context, now time.Time, limit int) (int, error)
	DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error)
	DeleteForwardedAudit(ctx context.Context, before time.Time, limit int) (int, error)
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// ErrLeaseLost: the pass stopped because its lease expired and another
// process took it (the pass stalled for longer than Lease).
var ErrLeaseLost = errors.New("janitor: lease lost to another process")

// Janitor sweeps the store. The exported fields are its configuration; set
// them before first use.
type Janitor struct {
	Store Store
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sleep waits between batches; default a timer that ends early with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Holder names this process in the lease; default a random id.
	Holder string
	// Interval is the time between passes of Run.
	Interval time.Duration
	// BatchSize is the most rows one statement deletes.
	BatchSize int
	// Pause is the wait between two batches of one table.
	Pause time.Duration
	// Lease is how long the lease is taken for; it is renewed once half
	// of it has passed.
	Lease time.Duration
	// SentMailRetention keeps sent mail that long; FailedMailRetention
	// keeps given-up mail.
	SentMailRetention, FailedMailRetention time.Duration
	// AuditRetention removes audit events older than that; 0 keeps them
	// forever.
	AuditRetention time.Duration
	// ForwardedAuditRetention removes audit forwarding deliveries that long
	// after they were made; 0 keeps them (until their event goes).
	ForwardedAuditRetention time.Duration
	Logger                  *slog.Logger
}

// Removed is what one pass removed from one table.
type Removed struct {
	Table   string `json:"table"`
	Rows    int    `json:"rows"`
	Batches int    `json:"batches"`
}

// Result is one pass.
type Result struct {
	// Skipped is set when another process held the lease: nothing ran.
	Skipped bool      `json:"skipped"`
	Removed []Removed `json:"removed"`
	Started time.Time `json:"started"`
	Took    string    `json:"took"`
}

// Total is the number of rows removed.
func (r Result) Total() int {
	n := 0
	for _, t := range r.Removed {
		n += t.Rows
	}
	return n
}

func (j *Janitor) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func (j *Janitor) sleep(ctx context.Context, d time.Duration) error {
	if j.Sleep != nil {
		return j.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// validate refuses a pass setting left unset.
func (j *Janitor) validate() error {
	var errs []error
	if j.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("BatchSize is %d, want at least 1", j.BatchSize))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Lease", j.Lease}, {"Pause", j.Pause}, {"SentMailRetention", j.SentMailRetention}, {"FailedMailRetention", j.FailedMailRetention}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s is %v, want a positive duration", d.name, d.v))
		}
	}
	if j.ForwardedAuditRetention < 0 {
		errs = append(errs, fmt.Errorf("ForwardedAuditRetention is %v, want 0 (keep) or a positive duration", j.ForwardedAuditRetention))
	}
	if j.AuditRetention < 0 {
		errs = append(errs, fmt.Errorf("AuditRetention is %v, want 0 (keep) or a positive duration", j.AuditRetention))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("janitor: %w", err)
	}
	return nil
}

// table is one sweep: del removes at most limit rows expired at now.
type table struct {
	name string
	del  func(ctx context.Context, now time.Time, limit int) (int, error)
}

func (j *Janitor) tables() []table {
	s := j.Store
	sent, failed, forwarded := j.SentMailRetention, j.FailedMailRetention, j.ForwardedAuditRetention
	ts := []table{
		// One table holds codes, access and refresh tokens, PKCE and
		// OpenID rows; each row goes at its own expiry, so a rotated
		// refresh token stays as long as it could be presented.
		{"tokens", s.DeleteExpiredTokens},
		{"sessions", s.DeleteExpiredSessions},
		{"auth_requests", s.DeleteExpiredAuthRequests},
		// An expired device code answers expired_token (RFC 8628 §3.5) for
		// an hour more, then it is unknown.
		{"device_grants", func(ctx context.Context, now time.Time, limit int) (int, error) {
			return s.DeleteExpiredDeviceGrants(ctx, now.Add(-time.Hour), limit)
		}},
		{"one_time_tokens", s.DeleteExpiredOneTimeTokens},
		{"mfa_challenges", s.DeleteExpiredMFAChallenges},
		{"mail", func(ctx context.Context, now time.Time, limit int) (int, error) {
			return s.DeleteOldMail(ctx, now.Add(-sent), now.Add(-failed), limit)
		}},
		{"throttle", s.DeleteExpiredThrottles},
		{"dpop_proofs", s.DeleteExpiredDPoPProofs},
		{"saml_assertions", s.DeleteExpiredSAMLAssertions},
	}
	if forwarded > 0 {
		ts = append(ts, table{"audit_forward", func(ctx context.Context, now time.Time, limit int) (int, error) {
			return s.DeleteForwardedAudit(ctx, now.Add(-forwarded), limit)
		}})
	}
	if r := j.AuditRetention; r > 0 {
		ts = append(ts, table{"audit_events", func(ctx context.Context, now time.Time, limit int) (int, error) {
			return s.DeleteAuditBefore(ctx, now.Add(-r), limit)
		}})
	}
	return ts
}

// RunOnce runs one pass now, unless another process holds the lease
// (Result.Skipped). It reports per table what was removed, also when it
// stops early with an error.
func (j *Janitor) RunOnce(ctx context.Context) (Result, error) {
	if err := j.validate(); err != nil {
		return Result{}, err
	}
	if j.Holder == "" {
		j.Holder = randtoken.ID()
	}
	lease, limit, pause := j.Lease, j.BatchSize, j.Pause
	start := j.now()
	res := Result{Started: start.UTC()}
	ok, err := j.Store.AcquireLease(ctx, LeaseName, j.Holder, start, start.Add(lease))
	if err != nil {
		return res, fmt.Errorf("janitor: %w", err)
	}
	if !ok {
		res.Skipped = true
		return res, nil
	}
	renewAt := start.Add(lease / 2)
	defer func() {
		// Released even when ctx ended, so the next pass need not wait.
		_ = j.Store.ReleaseLease(context.WithoutCancel(ctx), LeaseName, j.Holder)
	}()
	for _, t := range j.tables() {
		r := Removed{Table: t.name}
		for {
			now := j.now()
			if !now.Before(renewAt) {
				ok, err := j.Store.AcquireLease(ctx, LeaseName, j.Holder, now, now.Add(lease))
				if err != nil {
					return j.done(res, r, start), fmt.Errorf("janitor: renew lease: %w", err)
				}
				if !ok {
					return j.done(res, r, start), ErrLeaseLost
				}
				renewAt = now.Add(lease / 2)
			}
			n, err := t.del(ctx, now, limit)
			if err != nil {
				return j.done(res, r, start), fmt.Errorf("janitor: %s: %w", t.name, err)
			}
			r.Rows += n
			r.Batches++
			if n < limit {
				break
			}
			if err := j.sleep(ctx, pause); err != nil {
				return j.done(res, r, start), fmt.Errorf("janitor: %w", err)
			}
		}
		res.Removed = append(res.Removed, r)
	}
	return j.done(res, Removed{}, start), nil
}

// done finishes res with a partly swept table, if any.
func (j *Janitor) done(res Result, partial Removed, start time.Time) Result {
	if partial.Table != "" {
		res.Removed = append(res.Removed, partial)
	}
	res.Took = j.now().Sub(start).Round(time.Millisecond).String()
	return res
}

// Run runs a pass at once and then every Interval until ctx ends. A failed
// pass is logged and tried again at the next interval.
func (j *Janitor) Run(ctx context.Context) {
	interval := j.Interval
	log := j.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if interval <= 0 {
		log.ErrorContext(ctx, "janitor: not running", "err", fmt.Errorf("janitor: Interval is %v, want a positive duration", interval))
		return
	}
	for {
		res, err := j.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.ErrorContext(ctx, "janitor pass failed", "error", err)
		case err == nil && res.Skipped:
			log.DebugContext(ctx, "janitor pass skipped: another process holds the lease")
		case err == nil && res.Total() > 0:
			attrs := []any{"took", res.Took}
			for _, r := range res.Removed {
				if r.Rows > 0 {
					attrs = append(attrs, r.Table, r.Rows)
				}
			}
			log.InfoContext(ctx, "janitor pass", attrs...)
		}
		if err := j.sleep(ctx, interval); err != nil {
			return
		}
	}
}
