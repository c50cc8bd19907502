package keys_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/storage"
)

// memStore is an in-memory KeyStore with the compare-and-swap semantics of
// storage.KeyStore: UpdateKeySet reads, runs fn unlocked (so concurrent
// callers interleave as with a database), and writes only if nobody wrote in
// between.
type memStore struct {
	mu  sync.Mutex
	set storage.KeySet

	reads     atomic.Int64 // GetKeySet calls
	conflicts atomic.Int64
	failGet   atomic.Bool
	// beforeWrite, when set, runs after fn and before the version check:
	// tests use it to line up two writers on the same version.
	beforeWrite func()
}

func cloneSet(s storage.KeySet) storage.KeySet {
	out := storage.KeySet{Version: s.Version}
	for _, k := range s.Keys {
		k.PublicJWK = bytes.Clone(k.PublicJWK)
		k.PrivateKey = bytes.Clone(k.PrivateKey)
		out.Keys = append(out.Keys, k)
	}
	return out
}

func (s *memStore) GetKeySet(ctx context.Context) (storage.KeySet, error) {
	s.reads.Add(1)
	if s.failGet.Load() {
		return storage.KeySet{}, errors.New("memStore: database unavailable")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSet(s.set), nil
}

func (s *memStore) UpdateKeySet(ctx context.Context, fn func(storage.KeySet) (storage.KeySet, error)) error {
	s.mu.Lock()
	snap := cloneSet(s.set)
	s.mu.Unlock()
	next, err := fn(cloneSet(snap))
	if err != nil {
		return err
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set.Version != snap.Version {
		s.conflicts.Add(1)
		return fmt.Errorf("memStore: version %d is now %d: %w", snap.Version, s.set.Version, storage.ErrConflict)
	}
	next = cloneSet(next)
	next.Version = snap.Version + 1
	s.set = next
	return nil
}

func (s *memStore) snapshot() storage.KeySet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSet(s.set)
}

// clock is a settable Now shared by the "replicas" of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testSealer(tb testing.TB, secret byte) *secrets.Sealer {
	tb.Helper()
	s, err := secrets.NewSealer(secrets.Derive([][]byte{bytes.Repeat([]byte{secret}, 32)}, secrets.PurposeKeyEncryption, secrets.SealKeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

const (
	testPrePublish = 10 * time.Minute
	testRetention  = time.Hour
	testRefresh    = 30 * time.Second
)

func newManager(tb testing.TB, store *memStore, c *clock) *keys.Manager {
	tb.Helper()
	return &keys.Manager{
		Store:           store,
		Sealer:          testSealer(tb, 1),
		Bits:            keys.DefaultBits,
		JWKSMaxAge:      testPrePublish,
		PrePublish:      testPrePublish,
		Retention:       testRetention,
		RefreshInterval: testRefresh,
		Now:             c.Now,
	}
}

// barrier makes the first n callers wait for each other, once: the writers
// then all try to write the version they read.
func barrier(n int) func() {
	var mu sync.Mutex
	arrived := 0
	release := make(chan struct{})
	return func() {
		mu.Lock()
		arrived++
		switch {
		case arrived == n:
			close(release)
		case arrived > n:
			mu.Unlock()
			return
		}
		mu.Unlock()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
	}
}
