package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var leaseTests = []subTest{
	{"Leases/AcquireRenewRelease", testLeases},
}

func testLeases(t *testing.T, s storage.Store) {
	ctx := t.Context()
	acquire := func(holder string, now time.Time, want bool) {
		t.Helper()
		ok, err := s.AcquireLease(ctx, "janitor", holder, now, now.Add(time.Minute))
		must(t, "AcquireLease "+holder, err)
		if ok != want {
			t.Errorf("AcquireLease(%s at %v) = %v, want %v", holder, now.Sub(base), ok, want)
		}
	}
	acquire("a", base, true)
	acquire("b", at(time.Second), false)    // held by a
	acquire("a", at(30*time.Second), true)  // renewal: now until +90s
	acquire("b", at(80*time.Second), false) // the renewal counts
	ok, err := s.AcquireLease(ctx, "other", "b", base, at(time.Minute))
	must(t, "AcquireLease(other name)", err)
	if !ok {
		t.Error("a lease of another name is independent")
	}
	acquire("b", at(90*time.Second), true) // a's lease expired
	acquire("a", at(91*time.Second), false)
	must(t, "ReleaseLease(not the holder)", s.ReleaseLease(ctx, "janitor", "a"))
	acquire("a", at(92*time.Second), false)
	must(t, "ReleaseLease", s.ReleaseLease(ctx, "janitor", "b"))
	acquire("a", at(93*time.Second), true)
}

// testRaceLease: of many callers for a free lease exactly one gets it.
func testRaceLease(t *testing.T, s storage.Store) {
	ctx := t.Context()
	wins := make([]bool, racers)
	errs := race(racers, func(i int) error {
		ok, err := s.AcquireLease(ctx, "janitor", string(rune('a'+i)), base, at(time.Minute))
		wins[i] = ok
		return err
	})
	n := 0
	for i, err := range errs {
		must(t, "AcquireLease", err)
		if wins[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of %d racers got the lease, want 1", n, racers)
	}
}
