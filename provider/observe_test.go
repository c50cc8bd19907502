package provider

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Every request of the provider passes the observation middleware: the
// request id on the header and the error page, one access log line with
// the route pattern, the metrics per pattern (the discovery fast path's
// too), and no /metrics on the provider's own routes.
func TestObservedRequests(t *testing.T) {
	var buf lockedBuffer
	e := newFlowEnv(t, func(c *Config) { c.AccessLog = slog.New(slog.NewJSONHandler(&buf, nil)) })

	resp, body := e.do(http.MethodGet, "/oauth2/authorize?client_id=nobody&response_type=code", nil)
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusBadRequest || id == "" || !strings.Contains(body, "Request id: <code>"+id+"</code>") {
		t.Fatalf("error page %d, X-Request-Id %q:\n%s", resp.StatusCode, id, body)
	}
	if resp, _ := e.do(http.MethodGet, "/metrics", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the provider's handler: %d, want 404", resp.StatusCode)
	}
	e.do(http.MethodGet, "/.well-known/openid-configuration", nil)
	e.signIn()

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		must(t, json.Unmarshal([]byte(l), &rec))
		if rec["msg"] == "request" {
			lines = append(lines, rec)
		}
	}
	if len(lines) < 5 || lines[0]["request_id"] != id || lines[0]["route"] != "/oauth2/authorize" || lines[0]["status"] != 400.0 {
		t.Fatalf("access log: %v", lines)
	}
	var tokenLine bool
	for _, l := range lines {
		if l["route"] == "/oauth2/token" && l["client_id"] == "spa" {
			tokenLine = true
		}
	}
	if !tokenLine {
		t.Errorf("no token endpoint line naming the client: %v", lines)
	}

	for _, c := range []struct {
		route, method, code string
		want                float64
	}{
		{"/.well-known/openid-configuration", "GET", "200", 1}, {"/oauth2/authorize", "GET", "400", 1},
		{"/oauth2/token", "POST", "200", 1}, {"/", "GET", "404", 1},
	} {
		if n := requests(t, e.p, c.route, c.method, c.code); n != c.want {
			t.Errorf("requests{route=%q,method=%s,code=%s} = %v, want %v", c.route, c.method, c.code, n, c.want)
		}
	}
}

// requests is ostiary_http_requests_total for one route, method and code.
func requests(t *testing.T, p *Provider, route, method, code string) float64 {
	return counter(t, p, "ostiary_http_requests_total", map[string]string{"route": route, "method": method, "code": code})
}

// counter sums the counters of family name whose labels include labels.
func counter(t *testing.T, p *Provider, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := p.Metrics.Registry().Gather()
	must(t, err)
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// Sign-in outcomes and throttle refusals reach the metrics from the pages
// that decide them.
func TestLoginMetrics(t *testing.T) {
	e := newFlowEnv(t, func(c *Config) { c.MaxFailuresPerAccount = 1 })
	login := e.start()
	for range 3 {
		e.post(login, url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"wrong-password-long"}})
	}
	if n := counter(t, e.p, "ostiary_login_failures_total", map[string]string{"stage": "password", "reason": "bad_password"}); n != 1 {
		t.Errorf("login failures = %v, want 1 (the attempts after it were throttled)", n)
	}
	if n := counter(t, e.p, "ostiary_throttle_rejections_total", map[string]string{"limiter": "login"}); n != 2 {
		t.Errorf("throttle rejections = %v, want 2", n)
	}
	if n := counter(t, e.p, "ostiary_login_successes_total", nil); n != 0 {
		t.Errorf("login successes = %v before any", n)
	}
}
