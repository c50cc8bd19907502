package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

func (c *cli) store() *sqlite.Store {
	c.t.Helper()
	st, err := sqlite.Open(c.t.Context(), filepath.Join(c.dir, "ostiary.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

func TestKeysRevokeCLI(t *testing.T) {
	c := newCLI(t)
	first := decode[[]map[string]any](t, c.ok("", "keys", "list", "--output", "json"))
	leaked := first[0]["kid"].(string)
	c.ok("", "keys", "rotate") // a key lined up next, too
	r := decode[map[string]string](t, c.ok("", "keys", "revoke", leaked, "--output", "json"))
	if r["kid"] != leaked || r["replacement"] == "" {
		t.Fatalf("keys revoke: %v", r)
	}
	all := decode[[]map[string]any](t, c.ok("", "keys", "list", "--output", "json"))
	states := map[string]string{}
	for _, k := range all {
		states[k["kid"].(string)] = k["state"].(string)
	}
	if _, ok := states[leaked]; ok || states[r["replacement"]] != "signing" {
		t.Errorf("after revoke: %v; want %s gone and %s signing", states, leaked, r["replacement"])
	}
	code, _, errOut := c.run("", "keys", "revoke", "--kid", leaked)
	if code == 0 || !strings.Contains(errOut, "no key") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("revoking it again: exit %d, %q; want one line saying there is no such key", code, errOut)
	}
	events, err := c.store().ListAudit(t.Context(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type+" "+e.ActorID)
	}
	if strings.Join(types, ",") != "key.revoked @system,key.rotated @system" {
		t.Errorf("audit = %v, want key.rotated then key.revoked by @system", types)
	}
}

func TestJanitorRunCLI(t *testing.T) {
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
