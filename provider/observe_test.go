package provider

import (
	"encoding/json"
	"log/slog"
	"net/http"
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
	t.Helper()
	fams, err := p.Metrics.Registry().Gather()
	must(t, err)
	for _, f := range fams {
		if f.GetName() != "ostiary_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["route"] == route && l["method"] == method && l["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
