package throttle

import (
	"testing"
	"time"
)

// TestGuesses: wrong guesses are counted per user and per address; either
// reaching its limit refuses further guesses until the window ends.
func TestGuesses(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &Guesses{Store: newMemStore(), Name: "device", Limit: 3, IPLimit: 5, Window: time.Minute, Now: func() time.Time { return now }}
	ctx := t.Context()
	for i := range 3 {
		if _, limited, err := g.Limited(ctx, "u1", "10.0.0.1"); err != nil || limited {
			t.Fatalf("guess %d: limited %v, %v", i, limited, err)
		}
		if err := g.Wrong(ctx, "u1", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	if retry, limited, _ := g.Limited(ctx, "u1", "10.0.0.2"); !limited || retry != time.Minute {
		t.Errorf("user after 3 wrong guesses: limited %v retry %v, want limited for the window", limited, retry)
	}
	if _, limited, _ := g.Limited(ctx, "u2", "10.0.0.1"); limited {
		t.Error("another user at the same address is limited before the address limit")
	}
	for range 2 {
		_ = g.Wrong(ctx, "u2", "10.0.0.1")
	}
	if _, limited, _ := g.Limited(ctx, "u3", "10.0.0.1"); !limited {
		t.Error("address after 5 wrong guesses is not limited")
	}
	now = now.Add(time.Minute)
	if _, limited, _ := g.Limited(ctx, "u1", "10.0.0.1"); limited {
		t.Error("still limited after the window")
	}
	if _, _, err := (&Guesses{}).Limited(ctx, "u", "ip"); err == nil {
		t.Error("a Guesses without limits is accepted")
	}
}
