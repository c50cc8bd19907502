package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// users set-attributes, orgs set-attributes and orgs set-member-attributes:
// merge patch and --replace, the instance schema from the config file
// refusing a write (which changes nothing), and the attributes shown by get.
func TestSetAttributesCLI(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	schema := filepath.Join(c.dir, "user-schema.json")
	if err := os.WriteFile(schema, []byte(`{"type":"object","properties":{"level":{"type":"integer"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("attributes:\n  user_schema: "+schema+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := []string{"--config", cfg}
	u := decode[map[string]string](t, c.ok("correct horse battery staple\n", append([]string{"users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"}, conf...)...))
	set := func(args ...string) map[string]any {
		t.Helper()
		return decode[map[string]any](t, c.ok("", append(append(args, "--output", "json"), conf...)...))
	}
	set("users", "set-attributes", "--user", "ada@example.com", "--json", `{"department":"Eng","level":2}`)
	got := set("users", "set-attributes", "--user", u["id"], "--json", `{"level":null,"site":"Paris"}`)
	if want := map[string]any{"department": "Eng", "site": "Paris"}; !reflect.DeepEqual(got["attributes"], want) {
		t.Errorf("after merge patch = %v, want %v", got["attributes"], want)
	}
	code, _, errOut := c.run("", append([]string{"users", "set-attributes", "--user", u["id"], "--json", `{"level":"high"}`}, conf...)...)
	if code == 0 || !strings.Contains(errOut, "/level") {
		t.Errorf("schema refusal: %d %q", code, errOut)
	}
	for _, bad := range []string{`[1]`, `{"a":`} {
		if code, _, _ := c.run("", append([]string{"users", "set-attributes", "--user", u["id"], "--json", bad}, conf...)...); code == 0 {
			t.Errorf("--json %s accepted", bad)
		}
	}
	if code, _, _ := c.run("", "users", "set-attributes", "--user", u["id"]); code == 0 {
		t.Error("set-attributes without --json accepted")
	}
	shown := decode[map[string]any](t, c.ok("", append([]string{"users", "get", "--user", u["id"], "--output", "json"}, conf...)...))
	if want := map[string]any{"department": "Eng", "site": "Paris"}; !reflect.DeepEqual(shown["attributes"], want) {
		t.Errorf("users get attributes = %v (refused writes must change nothing)", shown["attributes"])
	}

	o := decode[map[string]string](t, c.ok("", append([]string{"orgs", "create", "--name", "Acme", "--output", "json"}, conf...)...))
	set("orgs", "set-attributes", "--org", o["id"], "--json", `{"plan":"pro","seats":10}`)
	got = set("orgs", "set-attributes", "--org", o["id"], "--json", `{"plan":"enterprise"}`, "--replace")
	if want := map[string]any{"plan": "enterprise"}; !reflect.DeepEqual(got["attributes"], want) {
		t.Errorf("org attributes after --replace = %v", got["attributes"])
	}
	c.ok("", append([]string{"orgs", "add-member", "--org", o["id"], "--user", u["id"], "--role", "member"}, conf...)...)
	got = set("orgs", "set-member-attributes", "--org", o["id"], "--user", "ada@example.com", "--json", `{"cost_center":"42"}`)
	if want := map[string]any{"cost_center": "42"}; !reflect.DeepEqual(got["attributes"], want) {
		t.Errorf("membership attributes = %v", got["attributes"])
	}
	members := decode[[]map[string]any](t, c.ok("", append([]string{"orgs", "members", "--org", o["id"], "--output", "json"}, conf...)...))
	if len(members) != 1 || !reflect.DeepEqual(members[0]["attributes"], map[string]any{"cost_center": "42"}) {
		t.Errorf("orgs members = %v", members)
	}
	shownOrg := decode[map[string]any](t, c.ok("", append([]string{"orgs", "get", "--org", o["id"], "--output", "json"}, conf...)...))
	if !reflect.DeepEqual(shownOrg["attributes"], map[string]any{"plan": "enterprise"}) {
		t.Errorf("orgs get = %v", shownOrg)
	}
	audit := c.ok("", append([]string{"audit", "list", "--output", "json"}, conf...)...)
	for _, typ := range []string{"user.attributes_changed", "org.attributes_changed", "membership.attributes_changed"} {
		if !strings.Contains(audit, typ) {
			t.Errorf("audit has no %s", typ)
		}
	}
	if strings.Contains(audit, "Paris") {
		t.Error("the audit log holds an attribute value")
	}
}
