package storage

import (
	"context"
	"time"
)

// ThrottleStore counts attempts in fixed windows, shared by every replica.
type ThrottleStore interface {
	// Hit counts one attempt for key in the window that contains now (a new
	// window starts when the previous one has ended) and returns the count
	// including this one and when the window ends.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
	// Peek returns the count of the current window without counting.
	Peek(ctx context.Context, key string, now time.Time) (count int, resetAt time.Time, err error)
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}
