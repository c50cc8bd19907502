package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ostiary/ostiary/internal/serverproc"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// binary is the ostiary command built once for the whole run.
var binary string

func TestMain(m *testing.M) {
	// The end-to-end tests build and start the binary and drive Chromium;
	// the short tier (make test-short) leaves them to make test.
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped under -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "ostiary-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ostiary")
	if out, err := exec.Command("go", "build", "-o", binary, "github.com/ostiary/ostiary/cmd/ostiary").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ostiary: %v\n%s", err, out)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	pgtest.Main(m)
}

// sharedSecret is what replicas on one PostgreSQL must share.
const sharedSecret = "e2e-shared-system-secret-0123456789abcdef"

// database names where a server keeps its data: "sqlite" (a temp dir) or
// "postgres" (a fresh database on the test cluster).
func database(t *testing.T, kind string) []string {
	t.Helper()
	switch kind {
	case "sqlite":
		dir := t.TempDir()
		return []string{"OSTIARY_DATABASE=sqlite:" + filepath.Join(dir, "ostiary.db"), "OSTIARY_DATA_DIR=" + dir}
	case "postgres":
		return []string{"OSTIARY_DATABASE=" + pgtest.DSN(t), "OSTIARY_SECRETS_SYSTEM=" + sharedSecret, "OSTIARY_DATA_DIR=" + t.TempDir()}
	}
	t.Fatalf("unknown database %q", kind)
	return nil
}

// server is one running `ostiary serve` process, failing the test instead
// of returning errors.
type server struct {
	*serverproc.Process
	t *testing.T
}

// newServer prepares a server on a free loopback port over db; start runs
// it. It is stopped when the test ends.
func newServer(t *testing.T, db []string) *server {
	t.Helper()
	p, err := serverproc.New(binary, db, "info")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &server{Process: p, t: t}
}

// start launches the process and waits until /readyz answers 200, failing
// the test if that takes more than limit.
func (s *server) start(limit time.Duration) {
	s.t.Helper()
	if err := s.Start(context.Background(), limit); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) stop()        { s.Stop() }
func (s *server) logs() string { return s.Logs() }

// cli runs an ostiary command against the server's database and decodes its
// JSON output into out (when not nil).
func (s *server) cli(stdin string, out any, args ...string) {
	s.t.Helper()
	if err := s.CLI(context.Background(), stdin, out, args...); err != nil {
		s.t.Fatal(err)
	}
}
