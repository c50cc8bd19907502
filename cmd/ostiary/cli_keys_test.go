package main

import (
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

func TestKeysListAndRotate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	first := decode[[]map[string]any](t, c.ok("", "keys", "list", "--output", "json"))
	if len(first) != 1 || first[0]["state"] != "signing" {
		t.Fatalf("first key: %v", first)
	}
	rotated := decode[map[string]any](t, c.ok("", "keys", "rotate", "--output", "json"))
	all := decode[[]map[string]any](t, c.ok("", "keys", "list", "--output", "json"))
	if len(all) != 2 {
		t.Fatalf("after rotate: %v", all)
	}
	states := map[string]string{}
	for _, k := range all {
		states[k["kid"].(string)] = k["state"].(string)
	}
	if states[rotated["kid"].(string)] != "next" || states[first[0]["kid"].(string)] != "signing" {
		t.Fatalf("the new key must be published first and sign only after the pre-publication delay: %v", states)
	}
}

func TestKeysRevokeCLI(t *testing.T) {
	t.Parallel()
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
