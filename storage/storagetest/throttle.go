package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var throttleTests = []subTest{
	{"Throttle/Windows", testThrottle},
}

func testThrottle(t *testing.T, s storage.Store) {
	ctx := t.Context()
	hit := func(key string, now time.Time, wantCount int, wantReset time.Time) {
		t.Helper()
		n, reset, err := s.Hit(ctx, key, time.Minute, now)
		must(t, "Hit", err)
		if n != wantCount || !sameTime(reset, wantReset) {
			t.Errorf("Hit(%s, %v) = %d, %v; want %d, %v", key, now, n, reset, wantCount, wantReset)
		}
	}
	peek := func(key string, now time.Time, wantCount int, wantReset time.Time) {
		t.Helper()
		n, reset, err := s.Peek(ctx, key, now)
		must(t, "Peek", err)
		if n != wantCount || (wantCount > 0 && !sameTime(reset, wantReset)) {
			t.Errorf("Peek(%s, %v) = %d, %v; want %d, %v", key, now, n, reset, wantCount, wantReset)
		}
	}
	peek("ip:192.0.2.1", base, 0, time.Time{})
	hit("ip:192.0.2.1", base, 1, at(time.Minute))
	hit("ip:192.0.2.1", at(10*time.Second), 2, at(time.Minute))
	hit("user:alice", at(20*time.Second), 1, at(80*time.Second))
	peek("ip:192.0.2.1", at(30*time.Second), 2, at(time.Minute))
	peek("ip:192.0.2.1", at(30*time.Second), 2, at(time.Minute)) // Peek does not count
	hit("ip:192.0.2.1", at(59*time.Second), 3, at(time.Minute))

	// The window ended: the count starts over in a new window.
	peek("ip:192.0.2.1", at(61*time.Second), 0, time.Time{})
	hit("ip:192.0.2.1", at(61*time.Second), 1, at(121*time.Second))
	peek("user:alice", at(30*time.Second), 1, at(80*time.Second))

	must(t, "Reset", s.Reset(ctx, "user:alice"))
	peek("user:alice", at(30*time.Second), 0, time.Time{})
	hit("user:alice", at(31*time.Second), 1, at(91*time.Second))
	peek("ip:192.0.2.1", at(62*time.Second), 1, at(121*time.Second))
	must(t, "Reset(unknown)", s.Reset(ctx, "never-seen"))
}
