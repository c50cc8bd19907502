package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/randtoken"
)

func TestDCRTokenCreate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	out := decode[map[string]string](t, c.ok("", "dcr", "token", "create", "--expires", "2h", "--output", "json"))
	tok := out["initial_access_token"]
	if len(tok) < 40 || out["expires_at"] == "" || !strings.HasSuffix(out["registration_endpoint"], "/oauth2/register") {
		t.Fatalf("dcr token create: %v", out)
	}
	// Only the hash is at rest.
	files, _ := filepath.Glob(filepath.Join(c.dir, "ostiary.db*"))
	var hashed bool
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(tok)) {
			t.Fatalf("%s holds the initial access token in plaintext", f)
		}
		hashed = hashed || bytes.Contains(b, randtoken.Hash(tok))
	}
	if !hashed {
		t.Fatal("the token's SHA-256 is not in the database")
	}
	if code, _, _ := c.run("", "dcr", "token", "create", "--expires", "-1h"); code != 1 {
		t.Fatalf("negative --expires: exit %d, want 1", code)
	}
	if code, _, _ := c.run("", "dcr", "token"); code != 2 {
		t.Fatalf("'dcr token' alone: exit %d, want 2", code)
	}
}

// A leaked or never-expiring initial access token can be listed and ended
// without waiting for it to run out.
func TestDCRTokenListAndRevoke(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	forever := decode[map[string]string](t, c.ok("", "dcr", "token", "create", "--expires", "0", "--output", "json"))
	c.ok("", "dcr", "token", "create", "--expires", "1h")
	type view struct {
		ID        string  `json:"id"`
		ExpiresAt *string `json:"expires_at"`
		Expired   bool    `json:"expired"`
	}
	list := decode[[]view](t, c.ok("", "dcr", "token", "list", "--output", "json"))
	if len(list) != 2 {
		t.Fatalf("dcr token list: %+v", list)
	}
	var foreverID string
	for _, v := range list {
		if v.Expired || len(v.ID) != 16 {
			t.Fatalf("dcr token list: %+v", list)
		}
		if v.ExpiresAt == nil {
			foreverID = v.ID
		}
	}
	if want := fmt.Sprintf("%x", randtoken.Hash(forever["initial_access_token"]))[:16]; foreverID != want {
		t.Fatalf("id of the never-expiring token = %q, want %q (the hash's prefix)", foreverID, want)
	}
	if out := c.ok("", "dcr", "token", "list"); strings.Contains(out, forever["initial_access_token"]) || !strings.Contains(out, foreverID) {
		t.Fatalf("table:\n%s", out)
	}

	if code, _, _ := c.run("", "dcr", "token", "revoke"); code != 2 {
		t.Fatalf("revoke without --id: exit %d, want 2", code)
	}
	if code, _, errOut := c.run("", "dcr", "token", "revoke", "--id", foreverID[:3]); code != 1 || !strings.Contains(errOut, "at least 6") {
		t.Fatalf("revoke with 3 characters: exit %d %s", code, errOut)
	}
	if code, _, errOut := c.run("", "dcr", "token", "revoke", "--id", "zzzzzzzz"); code != 1 || !strings.Contains(errOut, "no initial access token") {
		t.Fatalf("revoke of an unknown id: exit %d %s", code, errOut)
	}
	out := c.ok("", "dcr", "token", "revoke", "--id", strings.ToUpper(foreverID[:8]))
	if !strings.Contains(out, "revoked initial access token "+foreverID) {
		t.Fatalf("revoke: %s", out)
	}
	list = decode[[]view](t, c.ok("", "dcr", "token", "list", "--output", "json"))
	if len(list) != 1 || list[0].ID == foreverID {
		t.Fatalf("after revoke: %+v", list)
	}
	if audit := c.ok("", "audit", "list", "--output", "json"); !strings.Contains(audit, "dcr.token_revoked") || !strings.Contains(audit, foreverID) {
		t.Fatalf("no dcr.token_revoked audit event:\n%s", audit)
	}
}
