package main

// The shipping files (Dockerfile, Makefile release, examples/deploy), checked
// the way far as this machine can without a container engine: the image's
// build command builds a static binary, every configuration file they carry
// decodes and validates with loadConfig, the Kubernetes manifests decode
// strictly into k8s.io/api types, compose.yaml loads with the compose-spec
// loader, the systemd unit passes systemd-analyze verify, and the probes
// they name answer 200 from a started serve.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository's root, seen from this package's directory.
const repoRoot = "../.."

func deployPath(parts ...string) string {
	return filepath.Join(append([]string{repoRoot, "examples", "deploy"}, parts...)...)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomSecret is a system secret that validates (at least 32 bytes).
func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// loadShippedConfig decodes one shipped configuration file with the binary's
// own decoder (unknown keys fail) and the given environment.
func loadShippedConfig(t *testing.T, content string, env map[string]string) (Config, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(path, func(k string) string { return env[k] })
	return c, path, err
}

// listenPort is the port of a listen address.
func listenPort(t *testing.T, listen string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// serveAndProbe starts `ostiary serve --config path` in this process with
// env (listening on a free loopback port instead of its own) and GETs each
// path the way a kubelet or load balancer does: plain HTTP to the
// address, the Host header naming the address, not the issuer. Every path
// must answer 200.
func serveAndProbe(t *testing.T, configPath string, env map[string]string, paths []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	e := map[string]string{"OSTIARY_LISTEN": "127.0.0.1:0"}
	for k, v := range env {
		if k != "OSTIARY_LISTEN" {
			e[k] = v
		}
	}
	pr, pw := io.Pipe()
	// A file: serve's goroutines write it while the test may read it.
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	logs := func() string { return string(readFile(t, stderr.Name())) }
	exited := make(chan struct{})
	code := 0
	go func() {
		code = run(ctx, []string{"serve", "--config", configPath}, strings.NewReader(""), pw, stderr, func(k string) string { return e[k] })
		pw.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s")
		}
		stderr.Close()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "(listening on "); ok {
				addr <- strings.TrimSuffix(rest, ")")
			}
		}
		close(addr)
	}()
	var a string
	select {
	case a = <-addr:
	case <-exited:
		t.Fatalf("serve exited %d before listening:\n%s", code, logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within 60s:\n%s", logs())
	}
	if a == "" {
		t.Fatalf("serve printed no address:\n%s", logs())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for _, p := range paths {
		resp, err := client.Get("http://" + a + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}
}
