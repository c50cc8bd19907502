package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// DefaultRotationInterval is how old the newest key may grow before the
// schedule adds the next one.
const DefaultRotationInterval = 90 * 24 * time.Hour

// rotationDue reports whether the newest key of keys was created interval
// or longer before now (or there is no key at all).
func rotationDue(keys []storage.SigningKey, now time.Time, interval time.Duration) bool {
	if len(keys) == 0 {
		return true
	}
	newest := slices.MaxFunc(keys, func(a, b storage.SigningKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return !now.Before(newest.CreatedAt.Add(interval))
}

// RotateIfDue rotates (as Rotate does) when the newest key is interval or
// more old, and reports whether it did. The age is checked again inside the
// compare-and-swap, so of replicas deciding at the same moment exactly one
// adds a key: the others find the winner's key young and change nothing.
func (m *Manager) RotateIfDue(ctx context.Context, interval time.Duration) (storage.SigningKey, bool, error) {
	if err := m.validate(); err != nil {
		return storage.SigningKey{}, false, err
	}
	if interval <= 0 {
		return storage.SigningKey{}, false, fmt.Errorf("keys: rotate if due: interval %v is not positive", interval)
	}
	// A cheap read first: generating an RSA key at every check would burn
	// CPU for nothing.
	set, err := m.Store.GetKeySet(ctx)
	if err != nil {
		return storage.SigningKey{}, false, fmt.Errorf("keys: rotate if due: %w", err)
	}
	if !rotationDue(set.Keys, m.storeTime(), interval) {
		return storage.SigningKey{}, false, nil
	}
	k, err := newKey(m.bits(), m.Sealer)
	if err != nil {
		return storage.SigningKey{}, false, fmt.Errorf("keys: rotate if due: %w", err)
	}
	var added storage.SigningKey
	err = m.update(ctx, func(set storage.KeySet) (storage.KeySet, error) {
		added = storage.SigningKey{} // a retry after a lost race starts over
		now := m.storeTime()
		if !rotationDue(set.Keys, now, interval) {
			return set, errUnchanged // another replica rotated first
		}
		set, added = m.addKey(set, k, now)
		return set, nil
	})
	if err != nil {
		return storage.SigningKey{}, false, fmt.Errorf("keys: rotate if due: %w", err)
	}
	if added.ID == "" {
		return storage.SigningKey{}, false, nil
	}
	if _, err := m.reload(ctx, m.now()); err != nil {
		return storage.SigningKey{}, true, fmt.Errorf("keys: rotate if due: key %s stored, but: %w", added.ID, err)
	}
	added.PrivateKey = nil
	return added, true, nil
}

// Auditor stores audit events (audit.Recorder, storage.AuditStore).
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Schedule rotates the signing key every Interval, from any number of
// replicas at once: each checks every CheckEvery and the compare-and-swap
// lets exactly one of them add the key.
type Schedule struct {
	Manager *Manager
	// Interval is the rotation interval; it must be positive.
	Interval time.Duration
	// CheckEvery is how often the key set's age is checked; default 1m.
	CheckEvery time.Duration
	// Audit receives key.rotated; nil records nothing.
	Audit Auditor
	// NewID makes audit event ids.
	NewID func() string
}

// Check rotates if due and audits the rotation.
func (s *Schedule) Check(ctx context.Context) (storage.SigningKey, bool, error) {
	k, rotated, err := s.Manager.RotateIfDue(ctx, s.Interval)
	if err != nil || !rotated {
		return k, rotated, err
	}
	if s.Audit != nil {
		e := storage.AuditEvent{ID: s.NewID(), Time: s.Manager.now().UTC(), Type: "key.rotated", ActorID: "@system",
			Details: map[string]string{"kid": k.ID, "active_from": k.ActiveFrom.Format(time.RFC3339), "trigger": "schedule"}}
		if err := s.Audit.AppendAudit(ctx, e); err != nil {
			return k, true, fmt.Errorf("keys: key %s rotated, but: %w", k.ID, err)
		}
	}
	return k, true, nil
}

// Run checks at once and then every CheckEvery until ctx ends; failures
// are logged and retried at the next check.
func (s *Schedule) Run(ctx context.Context) {
	every := orDefault(s.CheckEvery, time.Minute)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k, rotated, err := s.Check(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled) && s.Manager.Logger != nil:
			s.Manager.Logger.ErrorContext(ctx, "scheduled key rotation", "error", err)
		case rotated && s.Manager.Logger != nil:
			s.Manager.Logger.InfoContext(ctx, "rotated the signing key on schedule", "kid", k.ID, "signs_from", k.ActiveFrom)
		}
		t.Reset(every)
	}
}
