package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// DefaultRotationInterval is how old the newest key may grow before the
// schedule adds the next one.
const DefaultRotationInterval = 90 * 24 * time.Hour

// rotationDue reports whether the newest alg key of keys was created
// interval or longer before now (or there is no such key at all).
func rotationDue(keys []storage.SigningKey, alg string, now time.Time, interval time.Duration) bool {
	var newest time.Time
	found := false
	for _, k := range keys {
		if algOf(k) == alg && (!found || k.CreatedAt.After(newest)) {
			newest, found = k.CreatedAt, true
		}
	}
	return !found || !now.Before(newest.Add(interval))
}

// dueAlgorithms are the configured algorithms whose lane is due.
func (m *Manager) dueAlgorithms(keys []storage.SigningKey, now time.Time, interval time.Duration) []string {
	var due []string
	for _, alg := range m.algorithms() {
		if rotationDue(keys, alg, now, interval) {
			due = append(due, alg)
		}
	}
	return due
}

// RotateIfDue rotates (as Rotate does) each algorithm whose newest key is
// interval or more old, and reports whether it did, with the first key it
// added. The age is checked again inside the compare-and-swap, so of
// replicas deciding at the same moment exactly one adds a key: the others
// find the winner's key young and change nothing.
func (m *Manager) RotateIfDue(ctx context.Context, interval time.Duration) (storage.SigningKey, bool, error) {
	added, err := m.rotateDue(ctx, interval)
	if len(added) == 0 {
		return storage.SigningKey{}, false, err
	}
	return added[0], true, err
}

// rotateDue is RotateIfDue, returning every key it added.
func (m *Manager) rotateDue(ctx context.Context, interval time.Duration) ([]storage.SigningKey, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	if interval <= 0 {
		return nil, fmt.Errorf("keys: rotate if due: interval %v is not positive", interval)
	}
	// A cheap read first: generating an RSA key at every check would burn
	// CPU for nothing.
	set, err := m.Store.GetKeySet(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: rotate if due: %w", err)
	}
	due := m.dueAlgorithms(set.Keys, m.storeTime(), interval)
	if len(due) == 0 {
		return nil, nil
	}
	fresh, err := m.newKeys(due)
	if err != nil {
		return nil, fmt.Errorf("keys: rotate if due: %w", err)
	}
	var added []storage.SigningKey
	err = m.update(ctx, func(set storage.KeySet) (storage.KeySet, error) {
		added = added[:0] // a retry after a lost race starts over
		now := m.storeTime()
		for _, k := range fresh {
			if !rotationDue(set.Keys, k.Algorithm, now, interval) {
				continue // another replica rotated first
			}
			var a storage.SigningKey
			set, a = m.addKey(set, k, now)
			added = append(added, a)
		}
		if len(added) == 0 {
			return set, errUnchanged
		}
		return set, nil
	})
	if err != nil {
		return nil, fmt.Errorf("keys: rotate if due: %w", err)
	}
	if len(added) == 0 {
		return nil, nil
	}
	for i := range added {
		added[i].PrivateKey = nil
	}
	if _, err := m.reload(ctx, m.now()); err != nil {
		return added, fmt.Errorf("keys: rotate if due: key %s stored, but: %w", added[0].ID, err)
	}
	return added, nil
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

// Check rotates if due and audits each key it added (key.rotated, with its
// alg); it returns the first.
func (s *Schedule) Check(ctx context.Context) (storage.SigningKey, bool, error) {
	added, err := s.Manager.rotateDue(ctx, s.Interval)
	if len(added) == 0 {
		return storage.SigningKey{}, false, err
	}
	if err != nil {
		return added[0], true, err
	}
	if s.Audit != nil {
		for _, k := range added {
			e := storage.AuditEvent{ID: s.NewID(), Time: s.Manager.now().UTC(), Type: "key.rotated", ActorID: "@system",
				Details: map[string]string{"kid": k.ID, "active_from": k.ActiveFrom.Format(time.RFC3339), "trigger": "schedule"}}
			if k.Algorithm != AlgRS256 {
				e.Details["alg"] = k.Algorithm
			}
			if err := s.Audit.AppendAudit(ctx, e); err != nil {
				return added[0], true, fmt.Errorf("keys: key %s rotated, but: %w", k.ID, err)
			}
		}
	}
	return added[0], true, nil
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
