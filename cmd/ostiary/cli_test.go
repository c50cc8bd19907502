package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs one command line against the embedded database in dir, the way a
// script would, and returns its exit code and output.
type cli struct {
	t   *testing.T
	dir string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, dir: t.TempDir()}
}

func (c *cli) env(k string) string {
	switch k {
	case "OSTIARY_DATABASE":
		return "sqlite:" + filepath.Join(c.dir, "ostiary.db")
	case "OSTIARY_DATA_DIR":
		return c.dir
	}
	return ""
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb, c.env)
	return code, out.String(), errb.String()
}

func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(stdin, args...)
	if code != 0 {
		c.t.Fatalf("ostiary %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func TestClientsCreateJSONAndNoPlaintextSecretAtRest(t *testing.T) {
	c := newCLI(t)
	out := c.ok("", "clients", "create", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--output", "json")
	got := decode[map[string]string](t, out)
	if got["client_id"] == "" || len(got["client_secret"]) < 43 {
		t.Fatalf("want client_id and a 256-bit client_secret, got %v", got)
	}
	pub := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "SPA", "--public", "--redirect-uri", "http://127.0.0.1:5173/cb", "--output", "json"))
	if _, has := pub["client_secret"]; has || pub["client_id"] == "" {
		t.Fatalf("public client: %v", pub)
	}
	// The secret must not be anywhere in the database files.
	files, _ := filepath.Glob(filepath.Join(c.dir, "ostiary.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(got["client_secret"])) {
			t.Fatalf("%s holds the client secret in plaintext", f)
		}
	}
	list := decode[[]clientView](t, c.ok("", "clients", "list", "--output", "json"))
	if len(list) != 2 {
		t.Fatalf("clients list: %v", list)
	}
	one := decode[clientView](t, c.ok("", "clients", "get", "--id", got["client_id"], "--output", "json"))
	if one.Name != "Web" || one.RedirectURIs[0] != "https://app.example/cb" {
		t.Fatalf("clients get: %+v", one)
	}
	c.ok("", "clients", "delete", "--id", got["client_id"])
	if code, _, _ := c.run("", "clients", "get", "--id", got["client_id"]); code == 0 {
		t.Fatal("deleted client still found")
	}
}

func TestBadInputExitsWithOneLineAndWritesNothing(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"clients", "create", "--name", "NoRedirect"},
		{"clients", "create", "--name", "Rel", "--redirect-uri", "/cb"},
		{"clients", "create", "--name", "Frag", "--redirect-uri", "https://a.example/cb#x"},
		{"clients", "create", "--name", "Implicit", "--grant-type", "implicit", "--redirect-uri", "https://a.example/cb"},
		{"clients", "create", "--name", "Org", "--org", "nope", "--redirect-uri", "https://a.example/cb"},
	} {
		code, out, errOut := c.run("", args...)
		if code == 0 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want non-zero and one line on stderr", args, code, out, errOut)
		}
	}
	if list := decode[[]clientView](t, c.ok("", "clients", "list", "--output", "json")); len(list) != 0 {
		t.Fatalf("bad input wrote clients: %v", list)
	}

	c.ok("correct horse battery staple\n", "users", "create", "--email", "ada@example.com", "--password-stdin")
	code, _, errOut := c.run("another long password\n", "users", "create", "--email", "ADA@example.com", "--password-stdin")
	if code == 0 || !strings.Contains(errOut, "already registered") {
		t.Fatalf("duplicate email (case-insensitive): exit %d %q", code, errOut)
	}
	code, _, errOut = c.run("", "orgs", "add-member", "--org", "missing", "--user", "ada@example.com", "--role", "member")
	if code == 0 || !strings.Contains(errOut, "not found") {
		t.Fatalf("unknown org: exit %d %q", code, errOut)
	}
	if code, _, _ := c.run("short\n", "users", "create", "--email", "bob@example.com", "--password-stdin"); code == 0 {
		t.Fatal("a short password was accepted")
	}
	users := decode[[]map[string]any](t, c.ok("", "users", "list", "--output", "json"))
	if len(users) != 1 {
		t.Fatalf("users: %v", users)
	}
}

func TestUsersOrgsMembership(t *testing.T) {
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

func TestKeysListAndRotate(t *testing.T) {
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

func TestConfigErrorsExitNonZero(t *testing.T) {
	c := newCLI(t)
	p := filepath.Join(c.dir, "bad.yaml")
	os.WriteFile(p, []byte("issuer: ftp//x\nfoo: 1\nbar: 2\n"), 0o600)
	code, _, errOut := c.run("", "--config", p, "clients", "list")
	if code == 0 {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"field foo not found", "field bar not found", "issuer:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, errOut)
		}
	}
	if code, _, _ := c.run("", "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

func TestOrgsRequireMFA(t *testing.T) {
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

// TestClientsCreatePKCEOptional: --pkce-optional lets a confidential client
// send no code_challenge, clients get shows it, and a public client with it
// is refused (RFC 9700 §2.1.1).
func TestClientsCreatePKCEOptional(t *testing.T) {
	c := newCLI(t)
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Proxy", "--pkce-optional",
		"--redirect-uri", "https://proxy.example/oauth2/callback", "--output", "json"))
	got := decode[map[string]any](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json"))
	if got["pkce_required"] != false {
		t.Fatalf("pkce_required = %v, want false", got["pkce_required"])
	}
	def := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--output", "json"))
	if got := decode[map[string]any](t, c.ok("", "clients", "get", "--id", def["client_id"], "--output", "json")); got["pkce_required"] != true {
		t.Fatalf("default pkce_required = %v, want true", got["pkce_required"])
	}
	c.ok("", "clients", "update", "--id", made["client_id"], "--pkce-optional=false")
	if got := decode[map[string]any](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json")); got["pkce_required"] != true {
		t.Fatalf("after --pkce-optional=false: pkce_required = %v", got["pkce_required"])
	}
	code, _, stderr := c.run("", "clients", "create", "--name", "SPA", "--public", "--pkce-optional", "--redirect-uri", "http://127.0.0.1/cb")
	if code == 0 || !strings.Contains(stderr, "public client must always use it") {
		t.Fatalf("public client with --pkce-optional: exit %d, %s", code, stderr)
	}
}
