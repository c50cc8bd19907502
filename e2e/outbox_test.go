package e2e

import (
	"net/url"
	"os"
	"regexp"
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

	// Queue a mail: the reset form, as a user would.
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

// Without SMTP (the `make run` default) mails are written to the log and
// listed on /dev/mail, whose link a user can follow.
func TestDevModeMail(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	srv.start(15 * time.Second)
	c := newFormClient(t, srv.URL)
	if code, _ := c.submit("/forgot-password", url.Values{"email": {"admin@localhost"}}); code != 200 {
		t.Fatalf("forgot password: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	var page string
	for time.Now().Before(deadline) {
		if _, page = c.get("/dev/mail"); strings.Contains(page, "delivered to the log") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	link := regexpFind(t, page, `href="(`+srv.URL+`/reset-password\?token=[A-Za-z0-9_-]+)"`)
	if !strings.Contains(srv.logs(), "mail not sent (no SMTP configured") || !strings.Contains(srv.logs(), "to=admin@localhost") {
		t.Fatalf("the mail is not in the log:\n%s", srv.logs())
	}
	if code, body := c.get(strings.TrimPrefix(link, srv.URL)); code != 200 || !strings.Contains(body, "Choose a new password") {
		t.Fatalf("the listed link: %d\n%s", code, body)
	}
}

func regexpFind(t *testing.T, s, expr string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s in\n%s", expr, s)
	}
	return m[1]
}
