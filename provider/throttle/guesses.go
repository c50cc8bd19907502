package throttle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The limits provider.DefaultConfig gives Guesses: the device flow's user
// codes (20^8 of them) against a signed-in user and an address.
const (
	DefaultGuessLimit   = 10
	DefaultGuessIPLimit = 30
	DefaultGuessWindow  = 15 * time.Minute
)

// Guesses limits wrong guesses of a short code, such as the user code of
// the device authorization grant (RFC 8628 §5.1: rate-limit guessing), per
// signed-in user and per client address, over the same counters the
// sign-in throttle uses.
type Guesses struct {
	Store Store
	// Name separates these counters from others ("device").
	Name string
	// Limit wrong guesses per Window by one user; IPLimit from one
	// address.
	Limit   int
	IPLimit int
	Window  time.Duration
	Now     func() time.Time
	// Rejected, when set, is called for each guess refused (the metrics).
	Rejected func()
}

func (g *Guesses) keys(userID, ip string) [2]string {
	return [2]string{"guess:" + g.Name + ":user:" + userID, "guess:" + g.Name + ":ip:" + ip}
}

// Limited reports whether the user or the address has used up its wrong
// guesses, and for how long. It is called before a code is looked up.
func (g *Guesses) Limited(ctx context.Context, userID, ip string) (retryAfter time.Duration, limited bool, err error) {
	if g.Limit <= 0 || g.IPLimit <= 0 || g.Window <= 0 || g.Store == nil || g.Name == "" {
		return 0, false, errors.New("throttle: guesses: store, name, limits and window are required")
	}
	now := g.now()
	keys := g.keys(userID, ip)
	for i, limit := range []int{g.Limit, g.IPLimit} {
		count, resetAt, err := g.Store.Peek(ctx, keys[i], now)
		if err != nil {
			return 0, false, fmt.Errorf("throttle: guesses: %w", err)
		}
		if count >= limit {
			if g.Rejected != nil {
				g.Rejected()
			}
			return resetAt.Sub(now), true, nil
		}
	}
	return 0, false, nil
}

// Wrong counts a wrong guess against the user and the address.
func (g *Guesses) Wrong(ctx context.Context, userID, ip string) error {
	now := g.now()
	for _, k := range g.keys(userID, ip) {
		if _, _, err := g.Store.Hit(ctx, k, g.Window, now); err != nil {
			return fmt.Errorf("throttle: guesses: %w", err)
		}
	}
	return nil
}

func (g *Guesses) now() time.Time {
	if g.Now == nil {
		return time.Now()
	}
	return g.Now()
}
