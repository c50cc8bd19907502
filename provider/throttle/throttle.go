package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/clientip"
)

// Store is the part of storage.ThrottleStore the limiter uses.
type Store interface {
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
	Peek(ctx context.Context, key string, now time.Time) (count int, resetAt time.Time, err error)
	Reset(ctx context.Context, key string) error
}

// The limits provider.DefaultConfig gives (and DefaultDeviceLimit); a
// Limiter takes no defaults of its own: a zero limit or window is an error.
const (
	DefaultAccountLimit  = 5
	DefaultAccountWindow = 15 * time.Minute
	DefaultIPLimit       = 30
	DefaultIPWindow      = 15 * time.Minute
)

// Limiter counts failed sign-ins. Once an account or an IP address has
// reached its limit in the current window, Check reports it limited until the
// window ends. Every limit and window must be set (validate).
type Limiter struct {
	Store Store
	// AccountLimit failures per AccountWindow for one email address.
	AccountLimit  int
	AccountWindow time.Duration
	// IPLimit failures per IPWindow from one client address; higher than the
	// account limit because many users may share an address.
	IPLimit  int
	IPWindow time.Duration
	// DeviceKeys sign device cookies (see device.go), current first; nil
	// turns device cookies off. DeviceLimit is a trusted device's failures
	// per AccountWindow.
	DeviceKeys  [][]byte
	DeviceLimit int
	Now         func() time.Time
	// Rejected, when set, is called for each attempt refused (the
	// metrics).
	Rejected func()
}

// Check is called before a password is verified. It counts this attempt
// against the account at once (one atomic increment), so that many
// concurrent attempts cannot all pass a check made before any of them
// failed; the address is only looked at. It reports whether the attempt
// must be refused, and for how long.
func (l *Limiter) Check(ctx context.Context, email, ip string) (retryAfter time.Duration, limited bool, err error) {
	if err := l.validate(); err != nil {
		return 0, false, err
	}
	now := l.now()
	return l.check(ctx, now, l.keys(email, ip))
}

func (l *Limiter) check(ctx context.Context, now time.Time, keys []limitKey) (retryAfter time.Duration, limited bool, err error) {
	for _, k := range keys {
		var (
			count   int
			resetAt time.Time
			over    bool
		)
		if k.account {
			count, resetAt, err = l.Store.Hit(ctx, k.key, k.window, now)
			over = count > k.limit
		} else {
			count, resetAt, err = l.Store.Peek(ctx, k.key, now)
			over = count >= k.limit
		}
		if err != nil {
			return 0, false, fmt.Errorf("throttle: check: %w", err)
		}
		if over {
			limited = true
			// Round up to whole seconds: Retry-After counts seconds, and
			// "retry in 0s" must never show while still limited.
			if d := (resetAt.Sub(now) + time.Second - 1).Truncate(time.Second); d > retryAfter {
				retryAfter = d
			}
		}
	}
	if limited && retryAfter < time.Second {
		retryAfter = time.Second
	}
	if limited && l.Rejected != nil {
		l.Rejected()
	}
	return retryAfter, limited, nil
}

// Failure counts one failed sign-in against the address; Check counted it
// against the account already.
func (l *Limiter) Failure(ctx context.Context, email, ip string) error {
	if err := l.validate(); err != nil {
		return err
	}
	now := l.now()
	for _, k := range l.keys(email, ip) {
		if k.account {
			continue
		}
		if _, _, err := l.Store.Hit(ctx, k.key, k.window, now); err != nil {
			return fmt.Errorf("throttle: count failure: %w", err)
		}
	}
	return nil
}

// Success forgets the account's failures. The address keeps its count: one
// good password must not unlock guessing at other accounts from there.
func (l *Limiter) Success(ctx context.Context, email string) error {
	if key := accountKey(email); key != "" {
		if err := l.Store.Reset(ctx, key); err != nil {
			return fmt.Errorf("throttle: reset: %w", err)
		}
	}
	return nil
}

type limitKey struct {
	key     string
	limit   int
	window  time.Duration
	account bool
}

func (l *Limiter) keys(email, ip string) []limitKey {
	var ks []limitKey
	if k := accountKey(email); k != "" {
		ks = append(ks, limitKey{k, l.AccountLimit, l.AccountWindow, true})
	}
	if ip != "" {
		// An IPv6 client is counted by its /64: see clientip.Bucket.
		ks = append(ks, limitKey{"login:ip:" + clientip.Bucket(ip), l.IPLimit, l.IPWindow, false})
	}
	return ks
}

// accountKey names the account by a digest of the normalized address, so the
// throttle table does not become a list of email addresses users tried.
func accountKey(email string) string {
	d := accountDigest(email)
	if d == nil {
		return ""
	}
	return "login:account:" + hex.EncodeToString(d)
}

// accountDigest is 16 bytes of SHA-256 of the normalized address; nil for
// an empty one.
func accountDigest(email string) []byte {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(email))
	return sum[:16]
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// validate refuses a limit or window left unset.
func (l *Limiter) validate() error {
	var errs []error
	for name, n := range map[string]int{"AccountLimit": l.AccountLimit, "IPLimit": l.IPLimit} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s is %d, want at least 1", name, n))
		}
	}
	for name, d := range map[string]time.Duration{"AccountWindow": l.AccountWindow, "IPWindow": l.IPWindow} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s is %v, want a positive duration", name, d))
		}
	}
	if len(l.DeviceKeys) > 0 && l.DeviceLimit < 1 {
		errs = append(errs, fmt.Errorf("DeviceLimit is %d, want at least 1 with device cookies on", l.DeviceLimit))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}
