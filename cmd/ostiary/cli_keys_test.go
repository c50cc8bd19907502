package main

import (
	"os"
	"path/filepath"
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

// TestKeysWithAlgorithms: with keys.algorithms [RS256, ES256, EdDSA] the key
// set has a signing key of each; keys rotate adds one of each (audited with
// its alg), and revoking the signing ES256 key replaces it with an ES256 key.
func TestKeysWithAlgorithms(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	conf := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(conf, []byte("keys:\n  algorithms: [RS256, ES256, EdDSA]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	signing := func() map[string]string {
		out := map[string]string{}
		for _, k := range decode[[]map[string]any](t, c.ok("", "keys", "list", "--config", conf, "--output", "json")) {
			if k["state"] == "signing" {
				out[k["alg"].(string)] = k["kid"].(string)
			}
		}
		return out
	}
	before := signing()
	if len(before) != 3 || before["ES256"] == "" || before["EdDSA"] == "" {
		t.Fatalf("signing keys %v, want one per algorithm", before)
	}
	rotated := decode[struct {
		Kid  string              `json:"kid"`
		Keys []map[string]string `json:"keys"`
	}](t, c.ok("", "keys", "rotate", "--config", conf, "--output", "json"))
	if len(rotated.Keys) != 3 || rotated.Keys[0]["alg"] != "RS256" || rotated.Kid != rotated.Keys[0]["kid"] ||
		rotated.Keys[1]["alg"] != "ES256" || rotated.Keys[2]["alg"] != "EdDSA" {
		t.Fatalf("keys rotate: %+v", rotated)
	}
	audit := decode[[]map[string]any](t, c.ok("", "audit", "list", "--type", "key.rotated", "--output", "json"))
	algs := map[string]bool{}
	for _, e := range audit {
		d, _ := e["details"].(map[string]any)
		alg, _ := d["alg"].(string)
		algs[alg] = true
	}
	if len(audit) != 3 || !algs["ES256"] || !algs["EdDSA"] {
		t.Errorf("key.rotated events %v", audit)
	}
	revoked := decode[map[string]string](t, c.ok("", "keys", "revoke", before["ES256"], "--config", conf, "--output", "json"))
	after := signing()
	if revoked["replacement"] == "" || after["ES256"] != revoked["replacement"] || after["RS256"] != before["RS256"] || after["EdDSA"] != before["EdDSA"] {
		t.Errorf("revoke of the ES256 key: %v; signing now %v, before %v", revoked, after, before)
	}
}
