package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// ClientCacheTTL bounds how long a client registration read from the store
// is reused by the token, introspection, revocation and authorization
// endpoints. A client changed or deleted by any replica (or by the admin
// CLI) is seen within this time: a deleted client, a rotated secret or a
// removed redirect URI stops working at most ClientCacheTTL later, and a
// deleted client's tokens introspect as inactive at most ClientCacheTTL
// later. Without it every token request read the client once, and every
// introspection twice (the caller and the token's client).
const ClientCacheTTL = 5 * time.Second

// clientCacheSweepAt is the entry count at which a store of a new entry
// first drops the expired ones, so the map stays bounded by the clients
// seen within one TTL.
const clientCacheSweepAt = 1024

// clientCache keeps recently read clients as fosite sees them, so the JWKS
// document of a private_key_jwt client is parsed once per TTL too. Lookups
// that fail (unknown client, database error) are never cached.
type clientCache struct {
	store interface {
		GetClient(ctx context.Context, id string) (storage.Client, error)
	}
	now func() time.Time
	ttl time.Duration

	mu      sync.RWMutex
	entries map[string]clientEntry
}

type clientEntry struct {
	c *client
	// expires is when the entry must be read again; loaded guards against
	// a clock set back.
	loaded, expires time.Time
}

func newClientCache(store interface {
	GetClient(ctx context.Context, id string) (storage.Client, error)
}, now func() time.Time, ttl time.Duration) *clientCache {
	return &clientCache{store: store, now: now, ttl: ttl, entries: map[string]clientEntry{}}
}

// get returns the client, from the cache when it was read less than a TTL
// ago. Errors are the store's (storage.ErrNotFound for an unknown client).
func (c *clientCache) get(ctx context.Context, id string) (*client, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) && !now.Before(e.loaded) {
		return e.c, nil
	}
	sc, err := c.store.GetClient(ctx, id)
	if err != nil {
		if ok {
			c.forget(id)
		}
		return nil, err
	}
	fc := newClient(sc)
	if c.ttl > 0 {
		c.put(id, clientEntry{c: fc, loaded: now, expires: now.Add(c.ttl)}, now)
	}
	return fc, nil
}

func (c *clientCache) put(id string, e clientEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= clientCacheSweepAt {
		for k, old := range c.entries {
			if !now.Before(old.expires) || now.Before(old.loaded) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[id] = e
}

func (c *clientCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
