package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is sysconf(_SC_CLK_TCK): 100 on every Linux architecture Go
// supports, which is what /proc/<pid>/stat counts utime and stime in.
const clockTicks = 100

// server is one running `ostiary serve` process.
type server struct {
	bin  string
	URL  string
	env  []string
	cmd  *exec.Cmd
	done chan struct{}

	mu  sync.Mutex
	log bytes.Buffer // last output, for failures only
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func newServer(bin string, dbEnv []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(os.Environ(),
		"OSTIARY_ISSUER="+url,
		fmt.Sprintf("OSTIARY_LISTEN=127.0.0.1:%d", port),
		"OSTIARY_LOG_LEVEL=warn",
	)
	return &server{bin: bin, URL: url, env: append(env, dbEnv...)}, nil
}

// start launches the process and waits until /readyz answers 200.
func (s *server) start(ctx context.Context, limit time.Duration) error {
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = s.env
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	s.done = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s serve: %w", s.bin, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			if s.log.Len() > 64<<10 {
				s.log.Reset()
			}
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.cmd.Wait(); pw.Close(); close(s.done) }()

	hc := &http.Client{Timeout: 2 * time.Second, Transport: loopbackTransport(1)}
	deadline := time.Now().Add(limit)
	for {
		resp, err := hc.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("ostiary serve exited before ready:\n%s", s.logs())
		case <-ctx.Done():
			return fmt.Errorf("wait for /readyz: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz not 200 within %v:\n%s", limit, s.logs())
		}
	}
}

// stop asks for a graceful shutdown and kills the process if it lingers.
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
	return s.log.String()
}

// cli runs an admin command against the server's database and decodes its
// JSON output into out.
func (s *server) cli(ctx context.Context, stdin string, out any, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append(args, "--output", "json")...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ostiary %s: %w\n%s", strings.Join(args[:2], " "), err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("ostiary %s: output is not JSON: %w", strings.Join(args[:2], " "), err)
	}
	return nil
}

// cpuTicks is the server's user+system CPU time so far, in clock ticks.
func (s *server) cpuTicks() (int64, error) {
	return procCPUTicks(s.cmd.Process.Pid)
}

// procCPUTicks reads utime and stime (fields 14 and 15) of /proc/<pid>/stat.
// The command name in field 2 may hold spaces and parentheses, so fields are
// counted from after its last ')'.
func procCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read server CPU time: %w", err)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("read server CPU time: malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')' the fields start at 3 (state), so utime (14) is f[11].
	if len(f) < 13 {
		return 0, errors.New("read server CPU time: short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read server CPU time: %w", err)
	}
	return u + st, nil
}

// loopbackTransport is an HTTP transport that can only reach 127.0.0.1, so a
// stray redirect or misconfiguration never sends load anywhere else.
func loopbackTransport(conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.Equal(net.IPv4(127, 0, 0, 1)) {
				return nil, fmt.Errorf("refusing to dial %s: only 127.0.0.1 is allowed", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		Proxy:               nil,
	}
}
