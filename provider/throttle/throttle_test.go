package throttle

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore is a fixed-window counter with the semantics the
// storage.ThrottleStore contract describes.
type memStore struct {
	mu     sync.Mutex
	counts map[string]int
	ends   map[string]time.Time
}

func newMemStore() *memStore {
	return &memStore{counts: map[string]int{}, ends: map[string]time.Time{}}
}

func (m *memStore) Hit(_ context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if end, ok := m.ends[key]; !ok || !now.Before(end) {
		m.counts[key] = 0
		m.ends[key] = now.Add(window)
	}
	m.counts[key]++
	return m.counts[key], m.ends[key], nil
}

func (m *memStore) Peek(_ context.Context, key string, now time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	end, ok := m.ends[key]
	if !ok || !now.Before(end) {
		return 0, time.Time{}, nil
	}
	return m.counts[key], end, nil
}

func (m *memStore) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.counts, key)
	delete(m.ends, key)
	return nil
}

type clock struct{ t time.Time }

// fail is one wrong password as the login page sees it: Check, then Failure.
func fail(t *testing.T, l *Limiter, email, ip string) {
	t.Helper()
	if _, _, err := l.Check(context.Background(), email, ip); err != nil {
		t.Fatal(err)
	}
	if err := l.Failure(context.Background(), email, ip); err != nil {
		t.Fatal(err)
	}
}

func (c *clock) now() time.Time { return c.t }

func TestAccountLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	l := withLimits(&Limiter{Store: newMemStore(), Now: c.now})
	for i := range DefaultAccountLimit {
		if _, limited, err := l.Check(ctx, "Ann@Example.com", "192.0.2.1"); limited || err != nil {
			t.Fatalf("before failure %d: limited=%v err=%v", i+1, limited, err)
		}
		if err := l.Failure(ctx, "ann@example.com ", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Second)
	}
	retry, limited, err := l.Check(ctx, "ANN@example.com", "198.51.100.7")
	if !limited || err != nil {
		t.Fatalf("after %d failures from one account: limited=%v err=%v; want limited regardless of case or address", DefaultAccountLimit, limited, err)
	}
	// The window opened at the first failure, 5s ago.
	if want := DefaultAccountWindow - DefaultAccountLimit*time.Second; retry != want {
		t.Errorf("retryAfter = %v, want %v", retry, want)
	}
	if _, limited, _ := l.Check(ctx, "bob@example.com", "198.51.100.7"); limited {
		t.Error("another account is limited too")
	}
	c.t = c.t.Add(retry)
	if _, limited, _ := l.Check(ctx, "ann@example.com", "192.0.2.1"); limited {
		t.Error("still limited after the window ended")
	}
}

func TestSuccessResetsAccountOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	l := withLimits(&Limiter{Store: newMemStore(), Now: c.now, AccountLimit: 2, IPLimit: 3})
	fail(t, l, "ann@example.com", "192.0.2.1")
	fail(t, l, "ann@example.com", "192.0.2.1")
	if _, limited, _ := l.Check(ctx, "ann@example.com", ""); !limited {
		t.Fatal("AccountLimit=2 not applied")
	}
	if err := l.Success(ctx, "Ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, limited, _ := l.Check(ctx, "ann@example.com", ""); limited {
		t.Error("Success did not reset the account")
	}
	fail(t, l, "carl@example.com", "192.0.2.1")
	retry, limited, _ := l.Check(ctx, "dora@example.com", "192.0.2.1")
	if !limited || retry != DefaultIPWindow {
		t.Errorf("third failure from one address: limited=%v retry=%v; want limited for %v (Success must not reset the address)", limited, retry, DefaultIPWindow)
	}
}

// An IPv6 client may use any address of its /64; stepping through them
// must not reset the count. Another /64 is another client.
func TestIPv6CountedPerSlash64(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	l := withLimits(&Limiter{Store: newMemStore(), Now: c.now, AccountLimit: 100, IPLimit: 3})
	fail(t, l, "a@example.com", "2001:db8:1:2::1")
	fail(t, l, "b@example.com", "2001:db8:1:2::2")
	fail(t, l, "c@example.com", "2001:db8:1:2:ffff::3")
	if _, limited, _ := l.Check(ctx, "d@example.com", "2001:db8:1:2:abcd::4"); !limited {
		t.Error("three failures from one /64 under three addresses: not limited")
	}
	if _, limited, _ := l.Check(ctx, "d@example.com", "2001:db8:1:3::1"); limited {
		t.Error("a neighbouring /64 was limited too")
	}
}

func TestKeysDoNotHoldEmail(t *testing.T) {
	t.Parallel()
	k := accountKey(" Ann@Example.com")
	if strings.Contains(strings.ToLower(k), "ann") || k != accountKey("ann@example.com") {
		t.Errorf("accountKey = %q: want a digest of the lowercased address", k)
	}
	if accountKey("  ") != "" {
		t.Error("blank email must not be counted")
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	l := withLimits(&Limiter{Store: newMemStore(), Now: c.now, AccountLimit: 1, AccountWindow: time.Minute})
	fail(t, l, "ann@example.com", "")
	c.t = c.t.Add(59*time.Second + 500*time.Millisecond)
	if retry, limited, _ := l.Check(ctx, "ann@example.com", ""); !limited || retry != time.Second {
		t.Errorf("half a second left: retry=%v limited=%v; want 1s, true", retry, limited)
	}
}

// Attempts racing each other must not all pass a check made before any of
// them failed: the account's attempt is counted before the password is
// verified, so of 50 concurrent attempts only the limit get through.
func TestConcurrentAttemptsAreCountedBeforeVerifying(t *testing.T) {
	t.Parallel()
	l := withLimits(&Limiter{Store: newMemStore(), Now: time.Now})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, limited, err := l.Check(context.Background(), "ann@example.com", "")
			if err != nil {
				t.Error(err)
			}
			if !limited {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != DefaultAccountLimit {
		t.Fatalf("%d of 50 concurrent attempts passed, want %d", allowed, DefaultAccountLimit)
	}
}

// Rejected hears of every refused attempt, and of nothing else (the
// metrics' throttle_rejections_total).
func TestRejectedHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	var rejected int
	l := withLimits(&Limiter{Store: newMemStore(), Now: c.now, Rejected: func() { rejected++ }})
	for range DefaultAccountLimit {
		fail(t, l, "ann@example.com", "192.0.2.1")
	}
	if rejected != 0 {
		t.Fatalf("%d rejections before the limit", rejected)
	}
	for range 2 {
		if _, limited, err := l.Check(ctx, "ann@example.com", "192.0.2.1"); !limited || err != nil {
			t.Fatalf("over the limit: limited=%v err=%v", limited, err)
		}
	}
	if rejected != 2 {
		t.Fatalf("Rejected called %d times, want 2", rejected)
	}
	var guessesRejected int
	g := &Guesses{Store: newMemStore(), Name: "device", Limit: 1, IPLimit: 5, Window: time.Minute, Now: c.now,
		Rejected: func() { guessesRejected++ }}
	if err := g.Wrong(ctx, "u", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, limited, _ := g.Limited(ctx, "u", "192.0.2.1"); !limited || guessesRejected != 1 {
		t.Fatalf("guesses: limited=%v, Rejected called %d times, want 1", limited, guessesRejected)
	}
}
