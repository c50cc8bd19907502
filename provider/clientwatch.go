package provider

import (
	"context"

	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/storage"
)

// clientWatch is the store as the admin operations and dynamic client
// registration see it: every client it writes is also dropped from the
// token endpoint's cache (oauth.Server.ClientChanged), so a deleted client,
// a removed redirect URI or a rotated-out secret stops working on this
// replica with the next request rather than after the cache's TTL. A write
// inside a caller's transaction drops the entry before the commit: a
// request in between may cache the old row again for one TTL, as any
// request could before.
type clientWatch struct {
	storage.Store
	caches *clientCaches
}

// clientCaches are this process's caches of clients: the token endpoint's
// once New has built it, none in a CLI process (its writes reach running
// servers through storage.ClientWatcher, or their cache's TTL).
type clientCaches struct{ forget []func(id string) }

func (c *clientCaches) changed(id string) {
	for _, f := range c.forget {
		f(id)
	}
}

func (w clientWatch) CreateClient(ctx context.Context, c storage.Client) error {
	err := w.Store.CreateClient(ctx, c)
	w.caches.changed(c.ID)
	return err
}

func (w clientWatch) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	err := w.Store.UpdateClient(ctx, id, fn)
	w.caches.changed(id)
	return err
}

func (w clientWatch) DeleteClient(ctx context.Context, id string) error {
	err := w.Store.DeleteClient(ctx, id)
	w.caches.changed(id)
	return err
}

// watchClients is the background loop that hears of every writer's client
// changes, the other replicas' and the CLI's, when the store can tell
// (storage.ClientWatcher); none otherwise. WatchClients reconnects by
// itself and returns only when ctx ends.
func watchClients(store storage.Store, oa *oauth.Server) []func(context.Context) {
	w, ok := store.(storage.ClientWatcher)
	if !ok {
		return nil
	}
	return []func(context.Context){func(ctx context.Context) { _ = w.WatchClients(ctx, oa.ClientChanged) }}
}
