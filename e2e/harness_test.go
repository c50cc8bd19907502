package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// binary is the ostiary command built once for the whole run.
var binary string

func TestMain(m *testing.M) {
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

// server is one running `ostiary serve` process.
type server struct {
	t   *testing.T
	URL string
	env []string
	// config is passed as --config to serve and every command, if set.
	config string
	cmd    *exec.Cmd
	mu     sync.Mutex
	output bytes.Buffer
	done   chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newServer prepares a server on a free loopback port over db; start runs it.
func newServer(t *testing.T, db []string) *server {
	t.Helper()
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(os.Environ(),
		"OSTIARY_ISSUER="+url,
		fmt.Sprintf("OSTIARY_LISTEN=127.0.0.1:%d", port),
		"OSTIARY_LOG_LEVEL=info",
	)
	return &server{t: t, URL: url, env: append(env, db...)}
}

// start launches the process and waits until /readyz answers 200, failing
// the test if that takes more than limit.
func (s *server) start(limit time.Duration) {
	s.t.Helper()
	s.cmd = exec.Command(binary, s.withConfig("serve")...)
	s.cmd.Env = s.env
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	s.done = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.output.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.cmd.Wait(); pw.Close(); close(s.done) }()
	s.t.Cleanup(s.stop)
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-s.done:
			s.t.Fatalf("ostiary serve exited:\n%s", s.logs())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("/readyz not 200 within %v:\n%s", limit, s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.output.String()
}

// cli runs an ostiary command against the server's database and decodes its
// JSON output into out (when not nil).
func (s *server) cli(stdin string, out any, args ...string) {
	s.t.Helper()
	cmd := exec.Command(binary, append(s.withConfig(args...), "--output", "json")...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() {
		<-ctx.Done()
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	}()
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("ostiary %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			s.t.Fatalf("ostiary %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
}

func (s *server) withConfig(args ...string) []string {
	if s.config == "" {
		return args
	}
	return append([]string{"--config", s.config}, args...)
}
