package storage

import (
	"context"
)

// ClientWatcher is implemented by a store that can tell every process
// sharing it of client changes as they commit (PostgreSQL: LISTEN/NOTIFY).
// WatchClients calls changed with a client's id after each change, and with
// "" when changes may have been missed (a lost connection); it reconnects
// by itself and returns ctx's error when ctx ends.
type ClientWatcher interface {
	WatchClients(ctx context.Context, changed func(id string)) error
}
