package e2e

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

func TestOutboxSurvivesCrashSQLite(t *testing.T)   { outboxSurvivesCrash(t, "sqlite") }
func TestOutboxSurvivesCrashPostgres(t *testing.T) { outboxSurvivesCrash(t, "postgres") }

// outboxSurvivesCrash kills the server (SIGKILL) while it is delivering a
// mail it has queued, with the SMTP server holding the connection silent.
// After a restart the mail goes out once the dead process's lease has run
// out, and exactly once.
func outboxSurvivesCrash(t *testing.T, db string) {
	smtp := mailServer(t)
	smtp.Hold()
	dbEnv := database(t, db)
	srv := newServer(t, dbEnv)
	// The lease outlasts the delivery timeout, as the config demands.
	const mailCfg = "    timeout: 2s\n  lease: 3s\n  poll_interval: 200ms\n  retry_backoff: 1s\n"
	withMailConfig(t, srv, smtp, mailCfg)
	srv.start(15 * time.Second)
	srv.cli("a long enough password\n", nil, "users", "create", "--email", "lin@example.com", "--password-stdin")

	// Queue a mail: the reset form, as a person would.
	if code, body := newFormClient(t, srv.URL).submit("/forgot-password", url.Values{"email": {"lin@example.com"}}); code != 200 ||
		!strings.Contains(body, "Check your email") {
		t.Fatalf("forgot password: %d\n%s", code, body)
	}
	if !smtp.WaitConnections(1, 10*time.Second) {
		t.Fatalf("the server never tried to deliver:\n%s", srv.logs())
	}
	proc, err := os.FindProcess(srv.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil { // SIGKILL: no shutdown, no cleanup
		t.Fatal(err)
	}
	srv.stop() // waits for the exit
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d mails delivered before the crash", n)
	}

	smtp.Release()
	again := newServer(t, dbEnv)
	again.Env, again.URL, again.Args = srv.Env, srv.URL, srv.Args
	restarted := time.Now()
	again.start(15 * time.Second)
	msg := waitMail(t, smtp, 1)
	if msg.To[0] != "lin@example.com" {
		t.Fatalf("delivered to %v", msg.To)
	}
	if _, text := textPart(t, msg); !strings.Contains(text, srv.URL+"/reset-password?token=") {
		t.Fatalf("the delivered mail is not the reset mail:\n%s", text)
	}
	t.Logf("delivered %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	// Longer than a lease and a retry: no second copy.
	time.Sleep(4 * time.Second)
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d copies delivered, want exactly one", n)
	}
}
