package throttle_test

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// Two limiters over one database stand for two replicas: failures counted
// by one limit the other.
func TestLimiterSharedThroughSQLite(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := throttle.WithLimits(&throttle.Limiter{Store: store, Now: clock, AccountLimit: 3, IPLimit: 100})
	b := throttle.WithLimits(&throttle.Limiter{Store: store, Now: clock, AccountLimit: 3, IPLimit: 100})
	ctx := t.Context()
	for i, l := range []*throttle.Limiter{a, b, a} {
		if _, limited, err := l.Check(ctx, "ann@example.com", "192.0.2.1"); limited || err != nil {
			t.Fatalf("before failure %d: limited=%v err=%v", i+1, limited, err)
		}
		if err := l.Failure(ctx, "ann@example.com", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	retry, limited, err := b.Check(ctx, "Ann@Example.com", "203.0.113.9")
	if !limited || err != nil || retry != throttle.DefaultAccountWindow {
		t.Fatalf("after 3 failures on two replicas: retry=%v limited=%v err=%v; want %v", retry, limited, err, throttle.DefaultAccountWindow)
	}
	now = now.Add(throttle.DefaultAccountWindow)
	if _, limited, _ := a.Check(ctx, "ann@example.com", "192.0.2.1"); limited {
		t.Error("still limited once the window ended")
	}
	if err := a.Failure(ctx, "ann@example.com", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Success(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, limited, _ := a.Check(ctx, "ann@example.com", "192.0.2.1"); limited {
		t.Error("limited after Success")
	}
}
