package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestGuardRefusesEveryNonPublicRange(t *testing.T) {
	t.Parallel()
	var g Guard
	for _, addr := range []string{
		"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", // loopback, also IPv4-mapped
		"169.254.169.254", "fe80::1", // link-local, cloud metadata
		"10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1", "fc00::1", "fd12:3456::1", // private
		"100.64.0.1", "0.0.0.0", "0.1.2.3", "::", // shared (CGNAT), this network, unspecified
		"224.0.0.1", "239.255.255.250", "ff02::1", "255.255.255.255", "240.0.0.1", // multicast, reserved
		"192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "198.18.0.1", // documentation, benchmarking
		"64:ff9b::7f00:1", "2002:7f00:1::1", "::7f00:1", // IPv4 embedded by NAT64, 6to4, IPv4-compatible
	} {
		if err := g.CheckAddr(netip.MustParseAddr(addr)); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: got %v, want ErrRefused", addr, err)
		}
	}
	for _, addr := range []string{"8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "172.32.0.1", "100.128.0.1"} {
		if err := g.CheckAddr(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s: public address refused: %v", addr, err)
		}
	}
}

func TestAllowListAdmits(t *testing.T) {
	t.Parallel()
	allow, err := ParseAllow([]string{"10.1.0.0/16", "127.0.0.1", " ::1 "})
	if err != nil {
		t.Fatal(err)
	}
	g := Guard{Allow: allow}
	for _, addr := range []string{"10.1.2.3", "127.0.0.1", "::1", "::ffff:10.1.0.9"} {
		if err := g.CheckAddr(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s: allowed address refused: %v", addr, err)
		}
	}
	for _, addr := range []string{"10.2.0.1", "127.0.0.2", "192.168.0.1"} {
		if err := g.CheckAddr(netip.MustParseAddr(addr)); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: got %v, want ErrRefused", addr, err)
		}
	}
}

func TestParseAllowReportsEveryBadEntry(t *testing.T) {
	t.Parallel()
	_, err := ParseAllow([]string{"10.1.2.3/8", "localhost", "10.0.0.0/8", "fe80::1%eth0"})
	if err == nil {
		t.Fatal("bad entries accepted")
	}
	for _, want := range []string{"10.1.2.3/8", "localhost", "fe80::1%eth0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"10.0.0.0/8"`) {
		t.Errorf("good entry reported: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var strict Guard
	for _, raw := range []string{"https://127.0.0.1:8443/jwks", "https://localhost/jwks", "https://[::1]/x", "https://169.254.169.254/latest/meta-data"} {
		if err := strict.CheckURL(ctx, raw); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: got %v, want ErrRefused", raw, err)
		}
	}
	open := Guard{Allow: Loopback}
	for _, raw := range []string{"https://127.0.0.1:8443/jwks", "https://localhost/jwks", "https://[::1]/x"} {
		if err := open.CheckURL(ctx, raw); err != nil {
			t.Errorf("%s: refused with loopback allowed: %v", raw, err)
		}
	}
}

// serve starts a loopback server; host is its address as "127.0.0.1:PORT".
func serve(t *testing.T, h http.HandlerFunc) (base, host string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return srv.URL, u.Host
}

func get(c *http.Client, raw string) ([]byte, error) {
	resp, err := c.Get(raw)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func TestClientRefusesLoopbackAtConnect(t *testing.T) {
	t.Parallel()
	base, host := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") })
	_, port, _ := strings.Cut(host, ":")
	strict := testClient(t, Config{})
	// A name that resolves to loopback is refused like the address.
	for _, raw := range []string{base, "http://localhost:" + port + "/"} {
		if _, err := get(strict, raw); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: got %v, want ErrRefused", raw, err)
		}
	}
	allowed := testClient(t, Config{Guard: Guard{Allow: Loopback}})
	body, err := get(allowed, base)
	if err != nil || string(body) != "secret" {
		t.Fatalf("allowed loopback: %q, %v", body, err)
	}
}

func TestClientRedirects(t *testing.T) {
	t.Parallel()
	_, otherHost := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	var base string
	base, _ = serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/other-host":
			http.Redirect(w, r, "http://"+otherHost+"/", http.StatusFound)
		case "/other-name":
			// The same server under another name is another host.
			http.Redirect(w, r, strings.Replace(base, "127.0.0.1", "localhost", 1)+"/ok", http.StatusFound)
		case "/other-scheme":
			http.Redirect(w, r, strings.Replace(base, "http://", "https://", 1)+"/ok", http.StatusFound)
		case "/same":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	})
	c := testClient(t, Config{Guard: Guard{Allow: Loopback}})
	for _, p := range []string{"/other-host", "/other-name", "/other-scheme", "/loop"} {
		if _, err := get(c, base+p); !errors.Is(err, ErrRedirect) {
			t.Errorf("%s: got %v, want ErrRedirect", p, err)
		}
	}
	if body, err := get(c, base+"/same"); err != nil || string(body) != "ok" {
		t.Errorf("same-origin redirect: %q, %v", body, err)
	}
}

func TestClientCapsBodyAndTime(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 4096)
	base, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			io.WriteString(w, big)
			w.(http.Flusher).Flush()
			io.WriteString(w, big)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			w.Header().Set("Content-Length", "8192")
			io.WriteString(w, big+big)
		}
	})
	c := testClient(t, Config{Guard: Guard{Allow: Loopback}, MaxBodyBytes: 1000, Timeout: 300 * time.Millisecond})
	for _, p := range []string{"/", "/chunked"} {
		if body, err := get(c, base+p); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %d bytes, %v; want ErrTooLarge", p, len(body), err)
		}
	}
	start := time.Now()
	if _, err := get(c, base+"/slow"); err == nil {
		t.Error("slow response not timed out")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("timeout took %v", d)
	}
	small := testClient(t, Config{Guard: Guard{Allow: Loopback}, MaxBodyBytes: 8192})
	if body, err := get(small, base+"/"); err != nil || len(body) != 8192 {
		t.Errorf("body at the cap: %d bytes, %v", len(body), err)
	}
}

// testClient is NewClient with the limits the binary runs with where cfg
// sets none (NewClient takes no defaults of its own).
func testClient(t *testing.T, cfg Config) *http.Client {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewClientRefusesZeroLimits(t *testing.T) {
	if _, err := NewClient(Config{Guard: Guard{Allow: Loopback}}); err == nil {
		t.Fatal("a client without limits was made")
	}
}
