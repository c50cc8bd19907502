package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage/sqlite"
)

// cli runs one command line against the embedded database in dir, the way a
// script would, and returns its exit code and output.
type cli struct {
	t   *testing.T
	dir string
	// vars are further environment variables, OSTIARY_LOG_FORMAT say.
	vars map[string]string
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
	return c.vars[k]
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

func TestBadInputExitsWithOneLineAndWritesNothing(t *testing.T) {
	t.Parallel()
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

func TestConfigErrorsExitNonZero(t *testing.T) {
	t.Parallel()
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

func (c *cli) store() *sqlite.Store {
	c.t.Helper()
	st, err := sqlite.Open(c.t.Context(), filepath.Join(c.dir, "ostiary.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

// TestUsageListsEveryCommand: the usage text, made from the command table,
// names every noun and subcommand, in the table's order.
func TestUsageListsEveryCommand(t *testing.T) {
	t.Parallel()
	u := usage()
	at := 0
	for _, n := range nouns() {
		i := strings.Index(u[at:], "\n  "+n.name+" ")
		if i < 0 {
			i = strings.Index(u[at:], "\n  "+n.name+"\n")
		}
		if i < 0 {
			t.Fatalf("usage does not list %q after offset %d:\n%s", n.name, at, u)
		}
		at += i
		for _, c := range n.cmds {
			for _, w := range strings.Fields(c.sub) {
				j := strings.Index(u[at:], w)
				if j < 0 {
					t.Fatalf("usage does not list %s %s in order:\n%s", n.name, c.sub, u)
				}
				at += j
			}
		}
	}
	if code, out, _ := newCLI(t).run("", "--help"); code != 0 || out != u {
		t.Errorf("--help: exit %d, printed %q", code, out)
	}
}
