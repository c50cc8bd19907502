package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// exported is one line of `ostiary users export`.
type exported struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	EmailVerified bool   `json:"email_verified"`
	Disabled      bool   `json:"disabled"`
	Admin         bool   `json:"admin"`
	CreatedAt     string `json:"created_at"`
	PasswordHash  string `json:"password_hash"`
	Memberships   []struct {
		OrgID   string `json:"org_id"`
		OrgName string `json:"org_name"`
		Role    string `json:"role"`
	} `json:"memberships"`
}

// exportPeople runs `users export` on srv and returns the file's bytes and
// its records by email.
func exportPeople(t *testing.T, srv *server) ([]byte, map[string]exported) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.jsonl")
	var out map[string]int
	srv.cli("", &out, "users", "export", "--out", path)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode %v, want 0600 (it holds password hashes)", fi.Mode().Perm())
	}
	recs := map[string]exported{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var r exported
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("export line is not JSON: %v\n%s", err, sc.Text())
		}
		recs[r.Email] = r
	}
	if out["exported"] != len(recs) {
		t.Fatalf("export reports %d users, the file has %d", out["exported"], len(recs))
	}
	return raw, recs
}

// importReport is what `users import --output json` prints.
type importReport struct {
	Created          int `json:"created"`
	Skipped          int `json:"skipped"`
	MembershipsAdded int `json:"memberships_added"`
	OrgsCreated      int `json:"organizations_created"`
	Failed           int `json:"failed"`
	Errors           []struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
}

// importPeople runs `users import` and returns its report, its standard
// error and whether it exited 0.
func importPeople(t *testing.T, srv *server, format, path string) (importReport, string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, srv.Bin, slices.Concat(srv.Args, []string{"users", "import", "--format", format, path, "--output", "json"})...)
	cmd.Env = srv.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatal(err)
	}
	var rep importReport
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("users import printed no JSON report (%v): %s\n%s", err, stdout.String(), stderr.String())
	}
	return rep, stderr.String(), err == nil
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// peopleExportImport: users exported from one server (SQLite) and
// imported into a second, empty one (over dstDB) sign in there with their old passwords and keep
// their ids and memberships; importing again changes nothing; an Auth0
// bcrypt user signs in and is re-hashed with argon2id; a malformed row is
// reported with its line while the others go in.
func TestPeopleExportImportSQLite(t *testing.T)     { peopleExportImport(t, "sqlite") }
func TestPeopleExportImportToPostgres(t *testing.T) { peopleExportImport(t, "postgres") }

func peopleExportImport(t *testing.T, dstDB string) {
	src := newServer(t, database(t, "sqlite"))
	src.start(15 * time.Second)
	const bobPassword = "plankton submarine lantern"
	var ada, bob, acme, beta map[string]string
	src.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	src.cli(bobPassword+"\n", &bob, "users", "create", "--email", "bob@example.com", "--name", "Bob", "--password-stdin")
	src.cli("", &acme, "orgs", "create", "--name", "Acme")
	src.cli("", &beta, "orgs", "create", "--name", "Beta")
	src.cli("", nil, "orgs", "add-member", "--org", acme["id"], "--user", ada["id"], "--role", "owner")
	src.cli("", nil, "orgs", "add-member", "--org", acme["id"], "--user", bob["id"], "--role", "member")
	src.cli("", nil, "orgs", "add-role", "--org", beta["id"], "--role", "auditor")
	src.cli("", nil, "orgs", "add-member", "--org", beta["id"], "--user", bob["id"], "--role", "auditor")
	raw, before := exportPeople(t, src)
	// Each server bootstraps its own admin@localhost: on import that one
	// exists already and is left alone.
	if len(before) != 3 || !strings.HasPrefix(before["ada@example.com"].PasswordHash, "$argon2id$") {
		t.Fatalf("export: %+v", before)
	}
	file := writeTemp(t, "users.jsonl", string(raw))

	dst := newServer(t, database(t, dstDB))
	dst.start(15 * time.Second)
	rep, stderr, ok := importPeople(t, dst, "ostiary", file)
	if !ok || rep.Created != 2 || rep.Skipped != 1 || rep.MembershipsAdded != 3 || rep.OrgsCreated != 2 || rep.Failed != 0 {
		t.Fatalf("import into the empty server: ok=%v %+v\n%s", ok, rep, stderr)
	}
	first, after := exportPeople(t, dst)
	for email, b := range before {
		a := after[email]
		if email == "admin@localhost" {
			if a.ID == b.ID {
				t.Fatal("the existing admin was overwritten by the import")
			}
			continue
		}
		if a.ID != b.ID || a.Name != b.Name || a.PasswordHash != b.PasswordHash || a.EmailVerified != b.EmailVerified || a.CreatedAt != b.CreatedAt {
			t.Fatalf("%s after import: %+v, want %+v", email, a, b)
		}
		roles := func(r exported) []string {
			var out []string
			for _, m := range r.Memberships {
				out = append(out, m.OrgName+"/"+m.Role)
			}
			slices.Sort(out)
			return out
		}
		if !slices.Equal(roles(a), roles(b)) {
			t.Fatalf("%s memberships after import: %v, want %v", email, roles(a), roles(b))
		}
	}

	// Importing again changes nothing.
	rep, stderr, ok = importPeople(t, dst, "ostiary", file)
	if !ok || rep.Created != 0 || rep.Skipped != 3 || rep.MembershipsAdded != 0 || rep.OrgsCreated != 0 || rep.Failed != 0 {
		t.Fatalf("second import: ok=%v %+v\n%s", ok, rep, stderr)
	}
	if second, _ := exportPeople(t, dst); !bytes.Equal(first, second) {
		t.Fatalf("the second import changed the users:\n%s\nvs\n%s", first, second)
	}

	// An Auth0 password-hash export (NDJSON, passwordHash), a bulk-import
	// row (custom_password_hash), a broken line and a bad address.
	const gracePassword = "compiler nanosecond cobol"
	h, err := bcrypt.GenerateFromPassword([]byte(gracePassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	graceHash := "$2b$" + strings.TrimPrefix(string(h), "$2a$") // what Auth0 writes
	h2, _ := bcrypt.GenerateFromPassword([]byte("another long password"), bcrypt.MinCost)
	auth0 := strings.Join([]string{
		`{"_id":{"$oid":"5dea9f9c82dd7c0e76e4ec93"},"email_verified":true,"email":"grace@example.com","passwordHash":"` + graceHash + `","tenant":"t","connection":"Username-Password-Authentication"}`,
		`{"_id":{"$oid":"5dea9f9c82dd7c0e76e4ec94"},"email":"broken@example.com","passwordHash":`,
		`{"email":"linus@example.com","name":"Linus","custom_password_hash":{"algorithm":"bcrypt","hash":{"value":"` + string(h2) + `"}}}`,
		`{"email":"not an address","passwordHash":"` + graceHash + `"}`,
	}, "\n") + "\n"
	rep, stderr, ok = importPeople(t, dst, "auth0", writeTemp(t, "auth0.json", auth0))
	if ok || rep.Created != 2 || rep.Failed != 2 || len(rep.Errors) != 2 || rep.Errors[0].Line != 2 || rep.Errors[1].Line != 4 {
		t.Fatalf("auth0 import: ok=%v (want a failing exit) %+v\n%s", ok, rep, stderr)
	}
	if !strings.Contains(stderr, "line 2: ") || !strings.Contains(stderr, "line 4: ") {
		t.Fatalf("per-row errors not reported with their lines:\n%s", stderr)
	}

	// The same users sign in on the new server with their old passwords.
	signInToAccount(t, newBrowser(t), dst, "ada@example.com", adaPassword)
	signInToAccount(t, newBrowser(t), dst, "bob@example.com", bobPassword)
	signInToAccount(t, newBrowser(t), dst, "grace@example.com", gracePassword)
	_, now := exportPeople(t, dst)
	if g := now["grace@example.com"]; !strings.HasPrefix(g.PasswordHash, "$argon2id$") || !g.EmailVerified {
		t.Fatalf("grace after her first sign-in: hash %q verified %v, want argon2id and verified", g.PasswordHash[:10], g.EmailVerified)
	}
	if l := now["linus@example.com"]; l.PasswordHash != string(h2) || l.Name != "Linus" {
		t.Fatalf("linus (not signed in yet) keeps his bcrypt hash: %+v", l)
	}
	if _, ok := now["broken@example.com"]; ok {
		t.Fatal("the malformed row was imported")
	}
}
