package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/oauth2"
)

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrape is one GET of /metrics, parsed the way Prometheus parses it.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, addr string) scrape {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: parse: %v", err)
	}
	return fams
}

// value is the sample of family name whose labels include want (a counter
// or gauge value, a histogram's count); 0 when there is none.
func (s scrape) value(name string, want map[string]string) float64 {
	f := s[name]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// labelValues are every value label takes across the scrape's ostiary_
// families.
func (s scrape) labelValues(label string) []string {
	var out []string
	for name, f := range s {
		if !strings.HasPrefix(name, "ostiary_") {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					out = append(out, l.GetValue())
				}
			}
		}
	}
	return out
}

// TestMetricsAndAccessLog drives a code flow and a refresh the way a web
// app does (Chromium on the pages, x/oauth2 with PKCE at the token
// endpoint) against a server with metrics.listen set, and checks that the
// counters move on the metrics listener, that the public port has no
// /metrics, that the access log has a line per request with none of the
// flow's secrets in it, and that the request id reaches the response header
// and the error page.
func TestMetricsAndAccessLog(t *testing.T) {
	metricsAddr := freeAddr(t)
	srv := newServer(t, append(database(t, "sqlite"), "OSTIARY_METRICS_LISTEN="+metricsAddr, "OSTIARY_LOG_FORMAT=json"))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var ada, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Metered App", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	clientID := client["client_id"]

	// The public port never serves the metrics.
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("public GET /metrics: %s, want 404", resp.Status)
	}

	before := scrapeMetrics(t, metricsAddr)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "ostiary_db_pool_open_connections",
		"ostiary_mail_queue_depth", "ostiary_signing_key_age_seconds"} {
		if before[name] == nil {
			t.Errorf("scrape lacks %s", name)
		}
	}
	if before.value("ostiary_signing_key_age_seconds", map[string]string{"alg": "RS256"}) <= 0 {
		t.Error("the RS256 signing key has no age")
	}

	// A wrong password, then the right one; the callback keeps the code so
	// that this test redeems it and knows every secret of the flow.
	rp.mu.Lock()
	rp.capture = true
	rp.mu.Unlock()
	ctx := newBrowser(t)
	const wrongPassword = "not the right horse at all"
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", wrongPassword)
	waitText(t, ctx, "is incorrect")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)),
		chromedp.Click(chromedp.CSS(`button[value="allow"]`)),
	)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Code == "" || res.Verifier == "" {
		t.Fatalf("no code captured: %+v", res)
	}
	tok, err := rp.Config.Exchange(context.Background(), res.Code, oauth2.VerifierOption(res.Verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	second := refresh(t, rp, tok.RefreshToken)
	// The rotated token again: reuse (RFC 9700 §4.14.2).
	if _, err := tryRefresh(rp, tok.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("reused refresh token: %v, want invalid_grant", err)
	}

	after := scrapeMetrics(t, metricsAddr)
	moved := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if d := after.value(name, labels) - before.value(name, labels); d != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, d, want)
		}
	}
	moved("ostiary_tokens_issued_total", map[string]string{"grant_type": "authorization_code", "client_id": clientID}, 1)
	moved("ostiary_tokens_issued_total", map[string]string{"grant_type": "refresh_token", "client_id": clientID}, 1)
	moved("ostiary_refresh_token_reuse_total", nil, 1)
	moved("ostiary_login_successes_total", nil, 1)
	moved("ostiary_login_failures_total", map[string]string{"stage": "password", "reason": "bad_password"}, 1)
	// RED per route pattern: two good token responses and one invalid_grant.
	moved("ostiary_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "code": "200"}, 2)
	moved("ostiary_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "code": "400"}, 1)
	moved("ostiary_http_request_duration_seconds", map[string]string{"route": "/oauth2/token", "method": "POST"}, 3)
	moved("ostiary_http_requests_total", map[string]string{"route": "/oauth2/authorize", "method": "GET"}, 1)
	// The discovery fast path reports the mux's pattern too (go-oidc
	// fetched it at connect, before the first scrape).
	if after.value("ostiary_http_requests_total", map[string]string{"route": "/.well-known/openid-configuration", "code": "200"}) < 1 {
		t.Error("discovery is not counted under its pattern")
	}
	// Bounded labels: patterns only, never a raw path, query or id.
	for _, route := range after.labelValues("route") {
		if strings.ContainsAny(route, "?=") || strings.Contains(route, ada["id"]) || strings.Contains(route, "request=") {
			t.Errorf("route label %q is not a pattern", route)
		}
	}
	for _, label := range []string{"user_id", "subject", "ip", "path", "url"} {
		if v := after.labelValues(label); len(v) > 0 {
			t.Errorf("label %s exists: %v", label, v)
		}
	}

	// Request id: a sane incoming one is echoed and shown on the error
	// page; a bad one is replaced by a fresh one.
	bad := srv.URL + "/oauth2/authorize?" + url.Values{"client_id": {"no-such-client"}, "response_type": {"code"}}.Encode()
	for _, c := range []struct{ in, want string }{{"e2e-trace.0042", "e2e-trace.0042"}, {"bad id <script>", ""}} {
		req, _ := http.NewRequest("GET", bad, nil)
		req.Header.Set("X-Request-Id", c.in)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if c.want != "" && id != c.want || c.want == "" && (id == "" || id == c.in) {
			t.Errorf("incoming X-Request-Id %q answered %q", c.in, id)
		}
		if resp.StatusCode < 400 || !strings.Contains(string(body), "Request id: <code>"+id+"</code>") {
			t.Errorf("error page (%s) does not show request id %q:\n%s", resp.Status, id, body)
		}
		// The line is written once the handler returns, maybe after the
		// client has the answer.
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(srv.logs(), `"request_id":"`+id+`"`) {
			if time.Now().After(deadline) {
				t.Errorf("no access log line with request id %q", id)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// The access log: one JSON line per request, with the client id where
	// the token endpoint authenticated one, and none of the flow's secrets.
	secrets := map[string]string{
		"client secret": client["client_secret"], "code": res.Code, "PKCE verifier": res.Verifier,
		"access token": tok.AccessToken, "refresh token": tok.RefreshToken, "ID token": idToken,
		"second access token": second.AccessToken, "second refresh token": second.RefreshToken,
		"password": adaPassword, "wrong password": wrongPassword,
	}
	var lines []string
	var tokenLines int
	for _, line := range strings.Split(srv.logs(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" {
			continue
		}
		lines = append(lines, line)
		for _, k := range []string{"method", "route", "status", "duration_ms", "bytes", "request_id", "remote"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("access log line lacks %s: %s", k, line)
			}
		}
		if rec["route"] == "/oauth2/token" && rec["status"] == 200.0 {
			tokenLines++
			if rec["client_id"] != clientID {
				t.Errorf("token line without the client id: %s", line)
			}
		}
	}
	if len(lines) < 10 || tokenLines != 2 {
		t.Fatalf("%d access log lines, %d successful token lines (want 2):\n%s", len(lines), tokenLines, strings.Join(lines, "\n"))
	}
	all := strings.Join(lines, "\n")
	for name, secret := range secrets {
		if secret == "" {
			t.Fatalf("the flow has no %s", name)
		}
		for _, form := range []string{secret, url.QueryEscape(secret), secret[:min(len(secret), 16)]} {
			if strings.Contains(all, form) {
				t.Errorf("the access log contains the %s (%q)", name, form)
			}
		}
	}
}

// TestMetricsPostgresPool: on PostgreSQL the pool statistics are pgx's.
func TestMetricsPostgresPool(t *testing.T) {
	metricsAddr := freeAddr(t)
	srv := newServer(t, append(database(t, "postgres"), "OSTIARY_METRICS_LISTEN="+metricsAddr))
	srv.start(15 * time.Second)
	s := scrapeMetrics(t, metricsAddr)
	pg := map[string]string{"backend": "postgres"}
	if s.value("ostiary_db_pool_open_connections", pg) < 1 || s.value("ostiary_db_pool_max_connections", pg) < 1 {
		t.Errorf("pool statistics: open %v, max %v", s.value("ostiary_db_pool_open_connections", pg), s.value("ostiary_db_pool_max_connections", pg))
	}
	if s["ostiary_db_pool_wait_seconds_total"] == nil || s["ostiary_mail_queue_oldest_age_seconds"] == nil {
		t.Error("scrape lacks the pool's waits or the mail queue's age")
	}
}
