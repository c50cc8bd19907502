package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// An operator lists a user's passkeys and removes one (audited
// passkey.removed, actor the operator); users reset-mfa removes the rest
// of a user who has no authenticator app, and a second reset finds
// nothing to reset.
func TestPasskeysCLI(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	u := decode[map[string]string](t, c.ok("correct horse battery staple\n", "users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"))
	st := c.store()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	for _, p := range []storage.Passkey{
		{ID: "pk1", UserID: u["id"], CredentialID: []byte("c1"), Credential: []byte("{}"), Name: "Laptop", Attachment: "platform", CreatedAt: now},
		{ID: "pk2", UserID: u["id"], CredentialID: []byte("c2"), Credential: []byte("{}"), Name: "Key", Attachment: "cross-platform", CreatedAt: now.Add(time.Second)},
	} {
		if err := st.CreatePasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	list := decode[[]map[string]any](t, c.ok("", "passkeys", "list", "--user", "ada@example.com", "--output", "json"))
	if len(list) != 2 || list[0]["name"] != "Laptop" || list[0]["type"] != "platform" || list[1]["type"] != "roaming" || list[0]["credential"] != nil {
		t.Fatalf("passkeys list: %v", list)
	}
	if table := c.ok("", "passkeys", "list", "--user", u["id"]); !strings.Contains(table, "Laptop") || !strings.Contains(table, "roaming") {
		t.Errorf("passkeys list table:\n%s", table)
	}
	c.ok("", "passkeys", "remove", "--user", "ada@example.com", "--passkey", "pk1")
	for _, args := range [][]string{
		{"passkeys", "remove", "--user", "ada@example.com", "--passkey", "pk1"},
		{"passkeys", "remove", "--user", "nobody@example.com", "--passkey", "pk2"},
		{"passkeys", "remove", "--user", "ada@example.com"},
		{"passkeys", "list"},
	} {
		if code, out, errOut := c.run("", args...); code == 0 || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a refusal", args, code, out, errOut)
		}
	}
	evs, err := st.ListAudit(ctx, storage.AuditFilter{Type: "passkey.removed"})
	if err != nil || len(evs) != 1 || evs[0].Details["passkey_id"] != "pk1" || evs[0].ActorID != cliActor.ID || evs[0].SubjectID != u["id"] {
		t.Fatalf("audit after remove: %+v %v", evs, err)
	}

	c.ok("", "users", "reset-mfa", "--user", "ada@example.com")
	if left, _ := st.ListPasskeys(ctx, u["id"]); len(left) != 0 {
		t.Errorf("passkeys after reset-mfa: %+v", left)
	}
	evs, err = st.ListAudit(ctx, storage.AuditFilter{Type: "passkey.removed"})
	if err != nil || len(evs) != 2 || !slices.ContainsFunc(evs, func(e storage.AuditEvent) bool { return e.Details["count"] == "1" }) {
		t.Errorf("audit after reset-mfa: %+v %v", evs, err)
	}
	if code, _, _ := c.run("", "users", "reset-mfa", "--user", "ada@example.com"); code != 1 {
		t.Errorf("second reset: exit %d, want 1 (neither a factor nor a passkey)", code)
	}
}

// orgs create and update set the passkey requirement like the
// second-factor one; the change is audited org.require_passkey.
func TestOrgsRequirePasskeyCLI(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	o := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Strict", "--require-passkey", "--output", "json"))
	plain := decode[map[string]string](t, c.ok("", "orgs", "create", "--name", "Plain", "--output", "json"))
	flags := func() map[string]bool {
		out := map[string]bool{}
		for _, v := range decode[[]map[string]any](t, c.ok("", "orgs", "list", "--output", "json")) {
			out[v["id"].(string)] = v["require_passkey"].(bool)
		}
		return out
	}
	if f := flags(); !f[o["id"]] || f[plain["id"]] {
		t.Fatalf("after create: %v", f)
	}
	got := decode[map[string]any](t, c.ok("", "orgs", "update", "--org", plain["id"], "--require-passkey", "true", "--output", "json"))
	if got["require_passkey"] != true || got["require_mfa"] != false {
		t.Errorf("update answered %v", got)
	}
	c.ok("", "orgs", "update", "--org", o["id"], "--require-passkey", "false")
	if f := flags(); f[o["id"]] || !f[plain["id"]] {
		t.Fatalf("after update: %v", f)
	}
	if code, out, _ := c.run("", "orgs", "update", "--org", o["id"], "--require-passkey", "maybe"); code == 0 || out != "" {
		t.Errorf("--require-passkey maybe: exit %d, stdout %q", code, out)
	}
	evs, err := c.store().ListAudit(t.Context(), storage.AuditFilter{Type: "org.require_passkey"})
	if err != nil || len(evs) != 3 {
		t.Errorf("audit org.require_passkey: %+v %v", evs, err)
	}
}
