package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

func TestJanitorRunCLI(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.ok("", "migrate", "up")
	st := c.store()
	now := time.Now()
	for _, key := range []string{"ip:a", "ip:b", "ip:c"} {
		if _, _, err := st.Hit(t.Context(), key, time.Minute, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateAuthRequest(t.Context(), storage.AuthRequest{ID: "old", ClientID: "x", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	res := decode[struct {
		Skipped bool
		Removed []struct {
			Table   string
			Rows    int
			Batches int
		}
	}](t, c.ok("", "janitor", "run", "--output", "json"))
	got := map[string]int{}
	for _, r := range res.Removed {
		got[r.Table] = r.Rows
	}
	if res.Skipped || got["throttle"] != 3 || got["auth_requests"] != 1 || got["tokens"] != 0 {
		t.Errorf("janitor run: %+v", res)
	}
	out := c.ok("", "janitor", "run")
	if !strings.Contains(out, "TABLE") || !strings.Contains(out, "throttle") || !strings.Contains(out, "removed 0 rows") {
		t.Errorf("text output:\n%s", out)
	}
}
