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
// It holds one pool connection for LISTEN. When the connection is lost,
// notifications may have been missed, so after reconnecting it calls
// changed("") — forget every client — and goes on; reconnects back off from
// one second to thirty.
func (s *Store) WatchClients(ctx context.Context, changed func(id string)) error {
	backoff := time.Second
	for first := true; ; first = false {
		if !first {
			changed("")
		}
		if err := s.listen(ctx, changed); ctx.Err() != nil {
			return ctx.Err()
		} else if err == nil {
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

// listen serves one connection's notifications until it fails. It returns
// nil if it had been listening (so the next attempt starts without delay
// growth), the error otherwise.
func (s *Store) listen(ctx context.Context, changed func(id string)) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
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
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return nil
		}
		changed(n.Payload)
	}
}
