package postgres

import (
	"context"
	"time"
)

// clientChannel is the channel migration 0012's trigger announces client
// changes on.
const clientChannel = "ostiary_clients"

// WatchClients calls changed with the id of every client any writer
// changes, once its transaction commits, until ctx ends (storage.ClientWatcher).
// It holds one connection, taken out of the pool, for LISTEN. When that
// connection is lost, notifications may have been missed: once a new one
// listens it calls changed("") — forget every client — and goes on.
// Reconnects back off from one second to thirty.
func (s *Store) WatchClients(ctx context.Context, changed func(id string)) error {
	backoff := time.Second
	for reconnect := false; ; reconnect = true {
		if s.listen(ctx, changed, reconnect) {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// listen serves one connection's notifications until it fails, and reports
// whether it got as far as listening. On a reconnect it forgets every
// client only after its LISTEN is in place, so no change can fall between
// the forgetting and the listening.
func (s *Store) listen(ctx context.Context, changed func(id string), reconnect bool) bool {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return false
	}
	// A connection that was LISTENing must not go back to the pool: it is
	// taken out of it and closed when done.
	conn := pooled.Hijack()
	defer func() {
		// The server may be gone; do not wait long to say goodbye.
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+clientChannel); err != nil {
		return false
	}
	if reconnect {
		changed("")
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		changed(n.Payload)
	}
}
