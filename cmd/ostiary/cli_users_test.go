package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

func TestUsersDisableEnableDeleteCLI(t *testing.T) {
	t.Parallel()
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
// proved it and every token issued to the user ends with it.
func TestUsersResetMFAEndsSessionsCLI(t *testing.T) {
	t.Parallel()
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

// A Cognito-style CSV read from standard input: the good rows go in, the
// bad ones are reported by line, the exit code says something failed, and
// a second run only skips.
func TestUsersImportCognitoFromStdin(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	csv := "cognito:username,email,email_verified,given_name,family_name,password_hash\n" +
		"u1,ada@example.com,true,Ada,Lovelace,$2b$04$abcdefghijklmnopqrstuuV0gQ6TrAcr1ES0t8XaFH/ZpCWKqZrNe\n" +
		"u2,grace@example.com,false,Grace,Hopper,\n" +
		"u3,nobody,true,No,Body,\n" +
		"u4,md5@example.com,true,M,D,5f4dcc3b5aa765d61d8327deb882cf99\n"
	code, out, errOut := c.run(csv, "users", "import", "--format", "cognito", "-", "--output", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (rows failed)\n%s", code, errOut)
	}
	rep := decode[map[string]any](t, out)
	if rep["created"] != float64(2) || rep["failed"] != float64(2) {
		t.Fatalf("report: %v", rep)
	}
	if !strings.Contains(errOut, "line 4: ") || !strings.Contains(errOut, "line 5: ") || strings.Contains(errOut, "line 2:") {
		t.Fatalf("per-row errors:\n%s", errOut)
	}
	users := c.ok("", "users", "list", "--output", "json")
	if !strings.Contains(users, "grace@example.com") || !strings.Contains(users, "Ada Lovelace") || strings.Contains(users, "md5@example.com") {
		t.Fatalf("users after import:\n%s", users)
	}
	// Second run: nothing new; the same two rows fail again.
	code, out, _ = c.run(csv, "users", "import", "--format", "cognito", "-")
	if code != 1 || !strings.Contains(out, "imported 0, skipped 2") {
		t.Fatalf("second import: exit %d, %q", code, out)
	}
}

func TestUsersImportNeedsOneFile(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if code, _, _ := c.run("", "users", "import", "--format", "ostiary"); code != 2 {
		t.Fatalf("users import without a file: exit %d, want 2", code)
	}
	if code, _, _ := c.run("", "users", "import", "a.jsonl", "b.jsonl"); code != 2 {
		t.Fatalf("users import with two files: exit %d, want 2", code)
	}
	if code, _, errOut := c.run("", "users", "import", "--format", "okta", "-"); code != 1 || !strings.Contains(errOut, "okta") {
		t.Fatalf("unknown format: exit %d %s", code, errOut)
	}
}
