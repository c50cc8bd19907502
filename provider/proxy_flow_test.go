package provider

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/storage"
)

// forwardedFor is a proxy's last hop: it sends X-Forwarded-For naming
// client, from the test's loopback address.
type forwardedFor struct{ client string }

func (f *forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.client)
	return http.DefaultTransport.RoundTrip(r)
}

// The login page throttles and audits by the client a trusted proxy
// names, and by the connection when the peer is not trusted.
func TestLoginBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	limits := func(c *Config) { c.MaxFailuresPerIP, c.MaxFailuresPerAccount = 2, 100 }
	attempt := 0
	fail := func(e *flowEnv) int {
		t.Helper()
		attempt++
		return e.post("/login", url.Values{"email": {fmt.Sprintf("nobody%d@example.com", attempt)},
			"password": {"not-the-password"}}).StatusCode
	}
	failureIPs := func(e *flowEnv) []string {
		t.Helper()
		events, err := e.store.ListAudit(t.Context(), storage.AuditFilter{Type: "login.failure"})
		must(t, err)
		var ips []string
		for _, ev := range events {
			ips = append(ips, ev.IP)
		}
		slices.Sort(ips)
		return ips
	}

	t.Run("trusted", func(t *testing.T) {
		e := newFlowEnv(t, limits, func(c *Config) { c.TrustedProxies = []string{"127.0.0.1", "::1"} })
		proxy := &forwardedFor{}
		e.http.Transport = proxy

		proxy.client = "203.0.113.7"
		for i := range 2 {
			if code := fail(e); code != http.StatusUnprocessableEntity {
				t.Fatalf("failure %d from 203.0.113.7: %d, want 422", i+1, code)
			}
		}
		if code := fail(e); code != http.StatusTooManyRequests {
			t.Fatalf("third failure from 203.0.113.7: %d, want 429", code)
		}
		// An entry the client wrote itself, left of the one the proxy
		// appended, does not get it out of its throttle.
		proxy.client = "198.51.100.9, 203.0.113.7"
		if code := fail(e); code != http.StatusTooManyRequests {
			t.Fatalf("203.0.113.7 forging an earlier hop: %d, want 429", code)
		}
		proxy.client = "198.51.100.9"
		if code := fail(e); code != http.StatusUnprocessableEntity {
			t.Fatalf("first failure from 198.51.100.9: %d, want 422 (its own count)", code)
		}
		if got, want := failureIPs(e), []string{"198.51.100.9", "203.0.113.7", "203.0.113.7"}; !slices.Equal(got, want) {
			t.Errorf("login.failure IPs %q, want %q", got, want)
		}

		proxy.client = "192.0.2.44"
		e.signIn()
		sessions, err := e.store.ListSessionsByUser(t.Context(), "ann", time.Now())
		must(t, err)
		if len(sessions) != 1 || sessions[0].IP != "192.0.2.44" {
			t.Errorf("sessions %+v, want one from 192.0.2.44", sessions)
		}
	})

	t.Run("untrusted", func(t *testing.T) {
		// The proxy list names another network: the test's loopback peer
		// is a client like any other, and its header is its own word.
		e := newFlowEnv(t, limits, func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8"} })
		proxy := &forwardedFor{}
		e.http.Transport = proxy

		for i, client := range []string{"203.0.113.7", "198.51.100.9"} {
			proxy.client = client
			if code := fail(e); code != http.StatusUnprocessableEntity {
				t.Fatalf("failure %d: %d, want 422", i+1, code)
			}
		}
		proxy.client = "192.0.2.1"
		if code := fail(e); code != http.StatusTooManyRequests {
			t.Fatalf("third failure with yet another X-Forwarded-For: %d, want 429 (one peer)", code)
		}
		for _, ip := range failureIPs(e) {
			if ip != "127.0.0.1" && ip != "::1" {
				t.Errorf("login.failure from %q: the untrusted header was believed", ip)
			}
		}
	})
}

// Dynamic client registration audits the client a trusted proxy names.
func TestRegistrationBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t, func(c *Config) {
		c.TrustedProxies = []string{"127.0.0.1", "::1"}
		c.ClientRegistration = ClientRegistrationConfig{Enabled: true, Mode: dcr.ModeOpen}
	})
	e.http.Transport = &forwardedFor{client: "2001:db8::7"}
	resp, err := e.http.Post(e.cfg.Issuer+dcr.PathRegister, "application/json",
		strings.NewReader(`{"client_name":"App","redirect_uris":["https://app.example/cb"]}`))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	events, err := e.store.ListAudit(t.Context(), storage.AuditFilter{Type: "client.registered"})
	must(t, err)
	if len(events) != 1 || events[0].IP != "2001:db8::7" {
		t.Fatalf("client.registered events %+v, want one from 2001:db8::7", events)
	}
}

// The open-registration limit as the server applies it: counted per client
// address behind the trusted proxy, an IPv6 client by its /64, with the
// configured share.
func TestOpenRegistrationLimitThroughTheServer(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t, func(c *Config) {
		c.TrustedProxies = []string{"127.0.0.1", "::1"}
		c.ClientRegistration = ClientRegistrationConfig{Enabled: true, Mode: dcr.ModeOpen, OpenPerIPPerHour: 2}
	})
	proxy := &forwardedFor{}
	e.http.Transport = proxy
	register := func(client string) *http.Response {
		t.Helper()
		proxy.client = client
		resp, err := e.http.Post(e.cfg.Issuer+dcr.PathRegister, "application/json",
			strings.NewReader(`{"client_name":"App","redirect_uris":["https://app.example/cb"]}`))
		must(t, err)
		resp.Body.Close()
		return resp
	}
	for _, ip := range []string{"2001:db8::7", "2001:db8::8"} {
		if resp := register(ip); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration from %s: %d, want 201", ip, resp.StatusCode)
		}
	}
	resp := register("2001:db8::9:1")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third registration from one /64: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := register("2001:db8:0:1::1"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("registration from another /64: %d, want 201", resp.StatusCode)
	}
	if cs, _ := e.store.ListClients(t.Context()); len(cs) != 4 { // the flow's own client and three registered
		t.Fatalf("%d clients, want 4: the refused registration wrote one", len(cs))
	}
}
