package fositestore

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// ClientCacheTTL bounds how long a client registration read from the store
// is reused by the token, introspection, revocation and authorization
// endpoints. A client changed or deleted by any replica (or by the admin
// CLI) is seen within this time: a deleted client, a replaced secret or a
// removed redirect URI stops working at most ClientCacheTTL later (a new
// secret works at once: see RefreshIfSecretDiffers), and a
// deleted client's tokens introspect as inactive at most ClientCacheTTL
// later. Changes made through this process skip the wait (provider/oauth's
// Server.ClientChanged).
// Without it every token request read the client once, and every
// introspection twice (the caller and the token's client).
const ClientCacheTTL = 5 * time.Second

// clientCacheSweepAt is the entry count at which a store of a new entry
// first drops the expired ones, so the map stays bounded by the clients
// seen within one TTL.
const clientCacheSweepAt = 1024

// ClientCache keeps recently read clients as fosite sees them, so the JWKS
// document of a private_key_jwt client is parsed once per TTL too. Lookups
// that fail (unknown client, database error) are never cached.
type ClientCache struct {
	store ClientStore
	now   func() time.Time
	ttl   time.Duration
	// defaultAudience is given to every client read (Client.GetAudience).
	defaultAudience string

	mu      sync.RWMutex
	entries map[string]clientEntry
}

type clientEntry struct {
	c *Client
	// expires is when the entry must be read again; loaded guards against
	// a clock set back.
	loaded, expires time.Time
}

// ClientStore is where the cache reads registrations.
type ClientStore interface {
	GetClient(ctx context.Context, id string) (storage.Client, error)
}

// NewClientCache reads clients from store, keeps each for ttl (zero: not at
// all) and gives every client defaultAudience when it has none of its own
// (Client.GetAudience).
func NewClientCache(store ClientStore, now func() time.Time, ttl time.Duration, defaultAudience string) *ClientCache {
	return &ClientCache{store: store, now: now, ttl: ttl, defaultAudience: defaultAudience, entries: map[string]clientEntry{}}
}

// Get returns the client, from the cache when it was read less than a TTL
// ago. Errors are the store's (storage.ErrNotFound for an unknown client).
func (c *ClientCache) Get(ctx context.Context, id string) (*Client, error) {
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
			c.Forget(id)
		}
		return nil, err
	}
	fc := newClient(sc)
	fc.defaultAudience = c.defaultAudience
	if c.ttl > 0 {
		c.put(id, clientEntry{c: fc, loaded: now, expires: now.Add(c.ttl)}, now)
	}
	return fc, nil
}

func (c *ClientCache) put(id string, e clientEntry, now time.Time) {
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

// Forget drops the cached registration of client id.
func (c *ClientCache) Forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

// ForgetAll drops every cached registration.
func (c *ClientCache) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// RefreshIfSecretDiffers drops the cached registration of the client a
// request authenticates as (client_secret_basic or client_secret_post)
// when the secret it presents does not match the cached hash. A secret
// rotated a moment ago then works at once instead of after the TTL; the
// old secret keeps working until the entry expires, as the TTL promises. A
// wrong secret costs one store read, as every request did before the cache.
func (c *ClientCache) RefreshIfSecretDiffers(r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if ok {
		// RFC 6749 §2.3.1: both are form-encoded before the Basic encoding.
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || secret == "" {
		return
	}
	c.mu.RLock()
	e, found := c.entries[id]
	c.mu.RUnlock()
	if found && !randtoken.Equal(e.c.c.SecretHash, secret) {
		c.Forget(id)
	}
}
