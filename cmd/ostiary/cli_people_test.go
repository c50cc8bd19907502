package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// TestOrgsLifecycleCLI drives the organization subcommands the way an
// operator's script would: roles, members, the last-owner rule, rename,
// delete with confirmation.
func TestOrgsLifecycleCLI(t *testing.T) {
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

func TestUsersDisableEnableDeleteCLI(t *testing.T) {
	c := newCLI(t)
	u := decode[map[string]string](t, c.ok("correct horse battery staple\n", "users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"))
	c.ok("", "users", "disable", "--user", "ada@example.com")
	users := decode[[]map[string]any](t, c.ok("", "users", "list", "--output", "json"))
	if users[0]["disabled"] != true {
		t.Fatalf("after disable: %v", users)
	}
	c.ok("", "users", "enable", "--user", u["id"])
	users = decode[[]map[string]any](t, c.ok("", "users", "list", "--output", "json"))
	if users[0]["disabled"] != false {
		t.Fatalf("after enable: %v", users)
	}
	ended := decode[map[string]any](t, c.ok("", "users", "end-sessions", "--user", u["id"], "--output", "json"))
	if ended["sessions_ended"] != float64(0) {
		t.Fatalf("end-sessions = %v", ended)
	}
	if code, _, errOut := c.run("", "users", "delete", "--user", u["id"]); code == 0 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("delete without --yes: %d %q", code, errOut)
	}
	c.ok("", "users", "delete", "--user", u["id"], "--yes")
	if users := decode[[]map[string]any](t, c.ok("", "users", "list", "--output", "json")); len(users) != 0 {
		t.Fatalf("after delete: %v", users)
	}
	if code, _, errOut := c.run("", "users", "disable", "--user", u["id"]); code == 0 || !strings.Contains(errOut, "not found") {
		t.Fatalf("disable a deleted user: %d %q", code, errOut)
	}
}

// A reset second factor is one that was lost or taken: every session that
// proved it and every token issued to the person ends with it.
func TestUsersResetMFAEndsSessionsCLI(t *testing.T) {
	c := newCLI(t)
	u := decode[map[string]string](t, c.ok("correct horse battery staple\n", "users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"))
	st := c.store()
	ctx := t.Context()
	now := time.Now()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("PutTOTP", st.PutTOTP(ctx, storage.TOTPFactor{UserID: u["id"], Secret: []byte("sealed"), ConfirmedAt: now, CreatedAt: now}))
	must("CreateSession", st.CreateSession(ctx, storage.Session{ID: "s1", TokenHash: []byte("h"), UserID: u["id"], AuthTime: now,
		AMR: []string{"pwd", "otp"}, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}))
	must("CreateToken", st.CreateToken(ctx, storage.TokenRecord{Kind: storage.KindRefreshToken, Signature: "rt", RequestID: "r1",
		Subject: u["id"], SessionID: "s1", Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour)}))

	c.ok("", "users", "reset-mfa", "--user", "ada@example.com")
	if _, err := st.GetTOTP(ctx, u["id"]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("factor after reset: %v", err)
	}
	if _, err := st.GetSession(ctx, "s1", now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("session after reset: %v, want ErrNotFound", err)
	}
	if r, err := st.GetToken(ctx, storage.KindRefreshToken, "rt"); err != nil || r.Active {
		t.Fatalf("refresh token after reset: active=%v err=%v", r.Active, err)
	}
	audit := c.ok("", "audit", "list", "--output", "json")
	if !strings.Contains(audit, "mfa.reset") || !strings.Contains(audit, "user.sessions_ended") {
		t.Fatalf("audit after reset:\n%s", audit)
	}
	if code, _, _ := c.run("", "users", "reset-mfa", "--user", "ada@example.com"); code != 1 {
		t.Fatalf("second reset: exit %d, want 1 (no factor)", code)
	}
}
