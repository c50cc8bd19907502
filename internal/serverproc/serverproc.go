// Package serverproc runs the ostiary binary as a child process on a free
// loopback port, the way an operator would, for the end-to-end tests and
// the load tool: start it, wait until it is ready, run its CLI against the
// same database, stop it.
package serverproc

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
	"slices"
	"strings"
	"sync"
	"time"
)

// maxLog bounds the output kept for error messages.
const maxLog = 1 << 20

// Process is one `ostiary serve`. Its exported fields may be changed before
// Start (a restart reuses another process's Env and URL).
type Process struct {
	Bin string
	// URL is the issuer, http://127.0.0.1:PORT.
	URL string
	// Env is the environment of serve and of every CLI command.
	Env []string
	// Args come before the command, e.g. --config FILE.
	Args []string

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

// New prepares a server of binary bin on a free loopback port, with the
// database settings in dbEnv (OSTIARY_DATABASE=..., ...) and logLevel.
func New(bin string, dbEnv []string, logLevel string) (*Process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(os.Environ(),
		"OSTIARY_ISSUER="+url,
		fmt.Sprintf("OSTIARY_LISTEN=127.0.0.1:%d", port),
		"OSTIARY_LOG_LEVEL="+logLevel,
	)
	return &Process{Bin: bin, URL: url, Env: append(env, dbEnv...)}, nil
}

// Start launches serve and waits until /readyz answers 200, at most limit.
func (p *Process) Start(ctx context.Context, limit time.Duration) error {
	p.cmd = exec.Command(p.Bin, slices.Concat(p.Args, []string{"serve"})...)
	p.cmd.Env = p.Env
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s serve: %w", p.Bin, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			if p.log.Len() > maxLog {
				p.log.Reset()
			}
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() { p.cmd.Wait(); pw.Close(); close(p.done) }()

	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := hc.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("ostiary serve exited before it was ready:\n%s", p.Logs())
		case <-ctx.Done():
			return fmt.Errorf("wait for /readyz: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz not 200 within %v:\n%s", limit, p.Logs())
		}
	}
}

// Stop asks for a graceful shutdown and kills the process if it lingers.
// It is safe to call more than once, and before Start.
func (p *Process) Stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Pid is the server's process id, once started.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Logs is what the server printed so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// CLI runs an ostiary command with --output json against the server's
// database and decodes its output into out, unless out is nil.
func (p *Process) CLI(ctx context.Context, stdin string, out any, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Bin, slices.Concat(p.Args, args, []string{"--output", "json"})...)
	cmd.Env = p.Env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	name := strings.Join(args[:min(2, len(args))], " ")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ostiary %s: %w\n%s", name, err, stderr.String())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("ostiary %s: output is not JSON: %w\n%s", name, err, stdout.String())
	}
	return nil
}
