package keys_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

const testInterval = 90 * 24 * time.Hour

func TestRotateIfDueFollowsTheSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := mustSigning(t, m)
	c.Advance(testInterval - time.Second)
	if _, rotated, err := m.RotateIfDue(ctx, testInterval); err != nil || rotated {
		t.Fatalf("before the interval: rotated=%v err=%v", rotated, err)
	}
	c.Advance(time.Second)
	added, rotated, err := m.RotateIfDue(ctx, testInterval)
	if err != nil || !rotated {
		t.Fatalf("at the interval: rotated=%v err=%v", rotated, err)
	}
	if got := jwksKids(t, m); len(got) != 2 || got[0] != added.ID {
		t.Errorf("JWKS after scheduled rotation = %v, want the new %s first", got, added.ID)
	}
	if kid, _ := mustSigning(t, m); kid != first {
		t.Errorf("new key signs before pre-publication: %s", kid)
	}
	c.Advance(testPrePublish)
	if kid, _ := mustSigning(t, m); kid != added.ID {
		t.Errorf("after pre-publication signing kid = %s, want %s", kid, added.ID)
	}
	// The next check finds the new key young.
	if _, rotated, _ := m.RotateIfDue(ctx, testInterval); rotated {
		t.Error("rotated again right after a rotation")
	}
	if _, _, err := m.RotateIfDue(ctx, 0); err == nil {
		t.Error("RotateIfDue with interval 0 succeeded")
	}
}

// Two replicas deciding at the same moment, both past the interval: the
// compare-and-swap lets one add a key; the other sees it and adds none.
func TestRotateIfDueRaceAddsOneKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	a, b := newManager(t, store, c), newManager(t, store, c)
	if err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	c.Advance(testInterval)
	store.beforeWrite = barrier(2)
	var wg sync.WaitGroup
	rotated := make([]bool, 2)
	errs := make([]error, 2)
	for i, m := range []*keys.Manager{a, b} {
		wg.Go(func() { _, rotated[i], errs[i] = m.RotateIfDue(ctx, testInterval) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if store.conflicts.Load() == 0 {
		t.Error("the two checks did not collide; the test proves nothing")
	}
	if n := len(store.snapshot().Keys); n != 2 {
		t.Errorf("%d keys after two racing scheduled rotations, want 2", n)
	}
	if rotated[0] == rotated[1] {
		t.Errorf("rotated = %v, want exactly one true", rotated)
	}
}

type auditLog struct {
	mu     sync.Mutex
	events []storage.AuditEvent
}

func (l *auditLog) AppendAudit(_ context.Context, e storage.AuditEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	return nil
}

func (l *auditLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.Type+":"+e.Details["kid"])
	}
	return out
}

// The background loop: with the clock moved past the interval, the next
// check publishes a key and audits key.rotated.
func TestScheduleRunRotates(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	audit := &auditLog{}
	n := 0
	s := &keys.Schedule{Manager: m, Interval: testInterval, CheckEvery: 5 * time.Millisecond, Audit: audit,
		NewID: func() string { n++; return "ev" + string(rune('0'+n)) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(30 * time.Millisecond)
	if k := len(store.snapshot().Keys); k != 1 {
		t.Fatalf("rotated before the interval: %d keys", k)
	}
	c.Advance(testInterval)
	deadline := time.Now().Add(5 * time.Second)
	for len(store.snapshot().Keys) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the schedule never rotated")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond) // more checks: still one rotation
	set := store.snapshot()
	if len(set.Keys) != 2 {
		t.Fatalf("%d keys, want 2", len(set.Keys))
	}
	got := audit.types()
	if len(got) != 1 || got[0] != "key.rotated:"+newest(set).ID {
		t.Errorf("audit = %v, want one key.rotated of the new key", got)
	}
}

func newest(set storage.KeySet) storage.SigningKey {
	var n storage.SigningKey
	for _, k := range set.Keys {
		if k.CreatedAt.After(n.CreatedAt) || n.ID == "" {
			n = k
		}
	}
	return n
}

func TestRevokeSigningKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	other := newManager(t, store, c) // another replica
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	leaked, key := mustSigning(t, m)
	token := sign(t, leaked, key)
	c.Advance(time.Minute)
	next, err := m.Rotate(ctx) // a key lined up, not signing yet
	if err != nil {
		t.Fatal(err)
	}
	mustSigning(t, other) // the replica's refresh is due: it reads the set now
	r, err := m.Revoke(ctx, leaked)
	if err != nil {
		t.Fatal(err)
	}
	if r.Replacement == "" || r.Replacement == leaked || r.Replacement == next.ID {
		t.Fatalf("Revoke = %+v, want a fresh replacement", r)
	}
	if kid, _ := mustSigning(t, m); kid != r.Replacement {
		t.Errorf("signing kid right after revoke = %s, want the replacement %s (no pre-publication)", kid, r.Replacement)
	}
	for _, kid := range jwksKids(t, m) {
		if kid == leaked {
			t.Error("revoked key still in the JWKS")
		}
	}
	if err := verify(t, m, token); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("token of the revoked key: %v, want ErrUnknownKey", err)
	}
	for _, k := range store.snapshot().Keys {
		if k.ID == leaked {
			t.Error("revoked key still stored")
		}
	}
	list, _ := m.List(ctx)
	for _, k := range list {
		if k.ID == next.ID && k.State != keys.StateRetired {
			t.Errorf("the lined-up key is %s after revoke, want retired", k.State)
		}
	}
	// Another replica still has the old set until its refresh, then drops it.
	if err := verify(t, other, token); err != nil {
		t.Errorf("replica before its refresh: %v (cached set)", err)
	}
	c.Advance(testRefresh)
	if err := verify(t, other, token); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("replica after its refresh: %v, want ErrUnknownKey", err)
	}
	if kid, _ := mustSigning(t, other); kid != r.Replacement {
		t.Errorf("replica signs with %s after its refresh, want %s", kid, r.Replacement)
	}
	if _, err := m.Revoke(ctx, "no-such-kid"); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("Revoke(unknown) = %v, want ErrUnknownKey", err)
	}
}

func TestRevokeRetiredKeyKeepsSigner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	old, _ := mustSigning(t, m)
	added, err := m.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(testPrePublish)
	r, err := m.Revoke(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if r.Replacement != "" {
		t.Errorf("revoking a retired key made a replacement %s", r.Replacement)
	}
	if kid, _ := mustSigning(t, m); kid != added.ID {
		t.Errorf("signing kid = %s, want %s", kid, added.ID)
	}
	if got := jwksKids(t, m); len(got) != 1 || got[0] != added.ID {
		t.Errorf("JWKS = %v, want only %s", got, added.ID)
	}
}
