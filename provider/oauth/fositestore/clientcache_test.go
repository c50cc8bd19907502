package fositestore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// TestClientCacheTTL checks the cache itself: reuse within the TTL, a read
// after it, a clock set back, and failures not cached.
func TestClientCacheTTL(t *testing.T) {
	t.Parallel()
	store := &countingClients{clients: map[string]storage.Client{"a": {ID: "a", Name: "A"}}}
	var off time.Duration // the clock: real time plus off
	c := NewClientCache(store, func() time.Time { return time.Now().Add(off) }, ClientCacheTTL, "")
	ctx := context.Background()
	get := func() string {
		t.Helper()
		cl, err := c.Get(ctx, "a")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		return cl.c.Name
	}
	get()
	get()
	if store.reads != 1 {
		t.Errorf("%d reads within the TTL, want 1", store.reads)
	}
	store.clients["a"] = storage.Client{ID: "a", Name: "A2"}
	off += ClientCacheTTL
	if name := get(); name != "A2" || store.reads != 2 {
		t.Errorf("after the TTL: %q after %d reads, want A2 after 2", name, store.reads)
	}
	off -= time2s
	get()
	if store.reads != 3 {
		t.Errorf("clock set back: %d reads, want a fresh read (3)", store.reads)
	}
	delete(store.clients, "a")
	off += ClientCacheTTL + time2s
	for range 2 {
		if _, err := c.Get(ctx, "a"); err == nil {
			t.Fatal("a deleted client was served")
		}
	}
	if store.reads != 5 {
		t.Errorf("%d reads, want 5: a miss is never cached", store.reads)
	}
}

const time2s = 2 * time.Second

// countingClients is a client store that counts reads.
type countingClients struct {
	mu      sync.Mutex
	clients map[string]storage.Client
	reads   int
}

func (s *countingClients) GetClient(_ context.Context, id string) (storage.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	c, ok := s.clients[id]
	if !ok {
		return storage.Client{}, storage.ErrNotFound
	}
	return c, nil
}
