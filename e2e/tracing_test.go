package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ostiary/ostiary/internal/otlptest"
)

func TestTracingAndOneLogFormatSQLite(t *testing.T)   { tracingAndLogs(t, "sqlite", "sqlite") }
func TestTracingAndOneLogFormatPostgres(t *testing.T) { tracingAndLogs(t, "postgres", "postgresql") }

// tracingAndLogs: the real binary with tracing turned on by the environment
// (OSTIARY_TRACING_ENABLED, the exporter's own OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// and OTEL_SERVICE_NAME) exports, by the time it has shut down, the server
// span of a token request (x/oauth2's client credentials) named by its
// route, with the database's statement spans below it. Its log is text
// throughout (log.format's default), the audit lines included, and names
// the client refused for a wrong secret without the secret.
func tracingAndLogs(t *testing.T, db, system string) {
	t.Parallel()
	rcv := otlptest.New(t)
	srv := newServer(t, append(database(t, db), "OSTIARY_TRACING_ENABLED=true",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+rcv.URL+"/v1/traces", "OTEL_SERVICE_NAME=ostiary-e2e"))
	srv.start(30 * time.Second)
	var svc map[string]string
	srv.cli("", &svc, "clients", "create", "--name", "Service", "--grant-type", "client_credentials", "--output", "json")

	cc := clientcredentials.Config{ClientID: svc["client_id"], ClientSecret: svc["client_secret"], TokenURL: srv.URL + "/oauth2/token"}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	const wrong = "e2e-wrong-secret-5b0c1f"
	cc.ClientSecret = wrong
	var re *oauth2.RetrieveError
	if _, err := cc.Token(context.Background()); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("wrong secret: %v", err)
	}
	srv.stop() // flushes the spans

	spans := rcv.Spans()
	var ok, db200 int
	for _, s := range spans {
		if s.Name != "POST /oauth2/token" || otlptest.Attr(s, "http.response.status_code") != "int_value:200" {
			continue
		}
		ok++
		for _, d := range spans {
			if otlptest.Attr(d, "db.system.name") == system && otlptest.Descends(spans, d, s) {
				db200++
			}
		}
	}
	if ok != 1 || db200 == 0 {
		t.Errorf("%d successful token request spans, %d %s statement spans under them, among %d spans", ok, db200, system, len(spans))
	}
	if svcs := rcv.Services(); len(svcs) == 0 || svcs[0] != "ostiary-e2e" {
		t.Errorf("service.name %v", svcs)
	}

	logs := srv.logs()
	var refused, audited int
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if json.Valid([]byte(line)) || strings.Contains(line, `{"`) {
			t.Errorf("a JSON line in a text log: %s", line)
		}
		if strings.Contains(line, `msg="client authentication failed"`) && strings.Contains(line, "client_id="+svc["client_id"]) {
			refused++
		}
		if strings.Contains(line, "msg=audit") && strings.Contains(line, "audit.type=client.auth_failed") {
			audited++
		}
	}
	// x/oauth2 sends the wrong secret once, the way (Basic) that worked.
	if refused != 1 || audited != 1 {
		t.Errorf("%d refusal lines, %d audit lines, want 1 each:\n%s", refused, audited, logs)
	}
	if strings.Contains(logs, wrong) || strings.Contains(logs, svc["client_secret"]) {
		t.Error("a client secret is in the log")
	}
}
