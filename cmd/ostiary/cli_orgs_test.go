package main

import (
	"strings"
	"testing"
)

func TestUsersOrgsMembership(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	u := decode[map[string]string](t, c.ok("correct horse battery staple\n", "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified", "--output", "json"))
	o := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Acme", "--output", "json"))
	c.ok("", "orgs", "add-member", "--org", o["id"], "--user", u["id"], "--role", "admin")
	if code, _, errOut := c.run("", "orgs", "add-member", "--org", o["id"], "--user", u["id"], "--role", "admin"); code == 0 || !strings.Contains(errOut, "already a member") {
		t.Fatalf("second add-member: %d %q", code, errOut)
	}
	orgs := decode[[]map[string]any](t, c.ok("", "orgs", "list", "--output", "json"))
	if len(orgs) != 1 || orgs[0]["name"] != "Acme" {
		t.Fatalf("orgs: %v", orgs)
	}
}

func TestOrgsRequireMFA(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	o := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Strict", "--require-mfa", "--output", "json"))
	plain := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Plain", "--output", "json"))
	flags := func() map[string]bool {
		out := map[string]bool{}
		for _, v := range decode[[]map[string]any](t, c.ok("", "orgs", "list", "--output", "json")) {
			out[v["id"].(string)] = v["require_mfa"].(bool)
		}
		return out
	}
	if f := flags(); !f[o["id"]] || f[plain["id"]] {
		t.Fatalf("after create: %v", f)
	}
	got := decode[map[string]any](t, c.ok("", "orgs", "update", "--org", plain["id"], "--require-mfa", "true", "--output", "json"))
	if got["require_mfa"] != true {
		t.Errorf("update answered %v", got)
	}
	c.ok("", "orgs", "update", "--org", o["id"], "--require-mfa", "false")
	if f := flags(); f[o["id"]] || !f[plain["id"]] {
		t.Fatalf("after update: %v", f)
	}
	for _, args := range [][]string{
		{"orgs", "update", "--org", o["id"], "--require-mfa", "maybe"},
		{"orgs", "update", "--org", "missing", "--require-mfa", "true"},
		{"orgs", "update", "--org", o["id"]},
	} {
		if code, out, errOut := c.run("", args...); code == 0 || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a refusal", args, code, out, errOut)
		}
	}
	if f := flags(); f[o["id"]] {
		t.Error("a refused update changed the organization")
	}
}

// TestOrgsLifecycleCLI drives the organization subcommands the way an
// operator's script would: roles, members, the last-owner rule, rename,
// delete with confirmation.
func TestOrgsLifecycleCLI(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pw := "correct horse battery staple\n"
	ada := decode[map[string]string](t, c.ok(pw, "users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"))
	c.ok(pw, "users", "create", "--email", "bob@example.com", "--password-stdin")
	o := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Acme", "--output", "json"))
	org := o["id"]

	fail := func(want string, args ...string) {
		t.Helper()
		code, out, errOut := c.run("", args...)
		if code == 0 || out != "" || !strings.Contains(errOut, want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want failure mentioning %q", args, code, out, errOut, want)
		}
	}
	fail("no role", "orgs", "add-member", "--org", org, "--user", "ada@example.com", "--role", "billing")
	c.ok("", "orgs", "add-role", "--org", org, "--role", "billing", "--description", "Invoices")
	fail("already", "orgs", "add-role", "--org", org, "--role", "billing")
	c.ok("", "orgs", "add-member", "--org", org, "--user", "ada@example.com", "--role", "owner")
	c.ok("", "orgs", "add-member", "--org", org, "--user", "bob@example.com", "--role", "billing")

	roles := decode[[]map[string]any](t, c.ok("", "orgs", "roles", "--org", org, "--output", "json"))
	if len(roles) != 4 || roles[3]["name"] != "billing" || roles[3]["built_in"] != false {
		t.Fatalf("roles = %v", roles)
	}
	fail("hold", "orgs", "delete-role", "--org", org, "--role", "billing")
	fail("owner", "orgs", "set-role", "--org", org, "--user", ada["id"], "--role", "member")
	fail("owner", "orgs", "remove-member", "--org", org, "--user", "ada@example.com")
	c.ok("", "orgs", "set-role", "--org", org, "--user", "bob@example.com", "--role", "admin")
	c.ok("", "orgs", "delete-role", "--org", org, "--role", "billing")

	members := decode[[]map[string]string](t, c.ok("", "orgs", "members", "--org", org, "--output", "json"))
	if len(members) != 2 || members[1]["email"] != "bob@example.com" || members[1]["role"] != "admin" {
		t.Fatalf("members = %v", members)
	}
	c.ok("", "orgs", "remove-member", "--org", org, "--user", "bob@example.com")
	c.ok("", "orgs", "rename", "--org", org, "--name", "Acme Ltd")
	fail("confirm", "orgs", "delete", "--org", org, "--confirm", "Acme")
	c.ok("", "orgs", "delete", "--org", org, "--confirm", "Acme Ltd")
	if list := decode[[]map[string]string](t, c.ok("", "orgs", "list", "--output", "json")); len(list) != 0 {
		t.Fatalf("orgs after delete = %v", list)
	}
	fail("not found", "orgs", "members", "--org", org)
}

// TestOrgsScimToken: the operator makes an organization's SCIM token
// (printed once, with the base URL), a new one replaces it, and revoking
// ends it; both are audited.
func TestOrgsScimToken(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	o := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Acme", "--output", "json"))
	first := decode[map[string]string](t, c.ok("", "orgs", "scim-token", "--org", o["id"], "--output", "json"))
	if !strings.HasPrefix(first["token"], "ostscim_") || !strings.HasSuffix(first["base_url"], "/scim/v2/"+o["id"]) {
		t.Fatalf("scim-token: %v", first)
	}
	second := decode[map[string]string](t, c.ok("", "orgs", "scim-token", "--org", o["id"], "--output", "json"))
	if second["token"] == first["token"] {
		t.Error("a new SCIM token is the old one")
	}
	c.ok("", "orgs", "scim-token-revoke", "--org", o["id"])
	if code, _, errOut := c.run("", "orgs", "scim-token-revoke", "--org", o["id"]); code == 0 || errOut == "" {
		t.Errorf("revoking again: %d %q", code, errOut)
	}
	if code, _, _ := c.run("", "orgs", "scim-token", "--org", "missing"); code == 0 {
		t.Error("a SCIM token for an unknown organization")
	}
	events := decode[[]map[string]any](t, c.ok("", "audit", "list", "--output", "json"))
	seen := map[string]int{}
	for _, ev := range events {
		seen[ev["type"].(string)]++
	}
	if seen["scim.token_created"] != 2 || seen["scim.token_revoked"] != 1 {
		t.Errorf("audit: %v", seen)
	}
}
