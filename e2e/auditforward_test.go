package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc5424"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestAuditForwardingSQLite(t *testing.T)   { auditForwarding(t, "sqlite") }
func TestAuditForwardingPostgres(t *testing.T) { auditForwarding(t, "postgres") }

// received is one event as a receiver got it: its idempotency key (the
// event id) and type.
type received struct{ ID, Type string }

// syslogReceiver is a TCP syslog server reading octet-counted RFC 5424
// frames (RFC 6587 §3.4.1) with an independent parser; it can go down and
// come back on the same port.
type syslogReceiver struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	got   []received
	raw   []*rfc5424.SyslogMessage
}

func (r *syslogReceiver) up() {
	r.t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ln, r.addr = ln, ln.Addr().String()
	r.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.mu.Unlock()
			go octetcounting.NewParser(syslog.WithListener(func(res *syslog.Result) {
				if res.Error != nil {
					if !errors.Is(res.Error, io.EOF) && !errors.Is(res.Error, net.ErrClosed) && !strings.Contains(res.Error.Error(), "EOF") {
						r.t.Errorf("syslog receiver: %v", res.Error)
					}
					return
				}
				m := res.Message.(*rfc5424.SyslogMessage)
				var id string
				if m.StructuredData != nil {
					id = (*m.StructuredData)["ostiary@32473"]["id"]
				}
				r.mu.Lock()
				r.got = append(r.got, received{ID: id, Type: *m.MsgID})
				r.raw = append(r.raw, m)
				r.mu.Unlock()
			})).Parse(c)
		}
	}()
}

// down closes the listener and every connection: the server is gone.
func (r *syslogReceiver) down() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ln.Close()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

func (r *syslogReceiver) events() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// hookReceiver is an HTTP webhook receiver that checks every signature
// with the Standard Webhooks reference library.
type hookReceiver struct {
	t    *testing.T
	addr string
	wh   *standardwebhooks.Webhook

	mu  sync.Mutex
	srv *http.Server
	got []received
}

func (r *hookReceiver) up() {
	r.t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve)}
	r.mu.Lock()
	r.srv, r.addr = srv, ln.Addr().String()
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	// Verify checks the signature and that webhook-timestamp is within
	// five minutes: a retry is signed anew.
	if err := r.wh.Verify(body, req.Header); err != nil {
		r.t.Errorf("webhook signature: %v", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var p struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil || req.Header.Get("webhook-id") != p.Data.ID || p.Type != p.Data.Type || p.Timestamp.IsZero() {
		r.t.Errorf("webhook body %s with webhook-id %q: %v", body, req.Header.Get("webhook-id"), err)
	}
	r.mu.Lock()
	r.got = append(r.got, received{ID: req.Header.Get("webhook-id"), Type: p.Type})
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *hookReceiver) down() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.srv.Close()
}

func (r *hookReceiver) events() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// auditForwarding: a real TCP syslog server and an HTTP receiver get the
// login.success and logout of browser sign-ins (and not the events their
// filters leave out). Both receivers then go down for 30 s while more
// happens; once back, every event arrives, exactly once by its
// idempotency key, in the order the events happened, each webhook's
// signature verifying.
func auditForwarding(t *testing.T, db string) {
	wh, err := standardwebhooks.NewWebhook(hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	sys := &syslogReceiver{t: t}
	sys.up()
	defer sys.down()
	hook := &hookReceiver{t: t, wh: wh}
	hook.up()
	defer hook.down()

	srv := startForwarding(t, database(t, db), fmt.Sprintf(`    - name: syslog
      type: syslog
      address: %s
      transport: tcp
      facility: authpriv
      events: [login.*, logout]
    - name: hook
      type: webhook
      url: http://%s/hooks/audit
      secret_env: E2E_HOOK_SECRET
      events: [login.*, logout]
`, sys.addr, hook.addr))
	signInAndOut, clientID, ctx := adaSignsInAndOut(t, srv, srv)
	signInAndOut()
	wantTypes := []string{"login.success", "logout"}
	waitFor(t, 20*time.Second, "login.success and logout at both receivers", func() bool {
		return len(sys.events()) >= 2 && len(hook.events()) >= 2
	})
	for name, got := range map[string][]received{"syslog": sys.events(), "webhook": hook.events()} {
		if types := typesOf(got); !slices.Equal(types, wantTypes) {
			t.Fatalf("%s got %v, want %v", name, types, wantTypes)
		}
	}
	m := sys.raw[0]
	if *m.Facility != 10 || *m.Severity != 6 || *m.Appname != "ostiary" || (*m.StructuredData)["ostiary@32473"]["client"] != clientID {
		t.Errorf("syslog message: %+v %v", m.Base, *m.StructuredData)
	}

	// Down for 30 s: two more sign-ins, a failed one between them.
	sys.down()
	hook.down()
	downAt := time.Now()
	signInAndOut()
	signInFrom(t, ctx, srv.URL+"/account", "ada@example.com", "not the password")
	waitText(t, ctx, "Email or password is incorrect.")
	signInAndOut()
	time.Sleep(30*time.Second - time.Since(downAt))
	if n, m := len(sys.events()), len(hook.events()); n != 2 || m != 2 {
		t.Fatalf("events arrived while the receivers were down: %d, %d", n, m)
	}
	if logs := srv.logs(); strings.Count(logs, "audit forwarding: not delivered; will retry") < 4 ||
		!strings.Contains(logs, "sink=hook") || !strings.Contains(logs, "sink=syslog") {
		t.Errorf("no retries logged for both sinks:\n%s", logs)
	}
	sys.up()
	hook.up()

	// The order the events happened in, from the audit log.
	var events []struct{ ID, Type string }
	srv.cli("", &events, "audit", "list", "--limit", "1000")
	var want []received
	for _, e := range slices.Backward(events) {
		if strings.HasPrefix(e.Type, "login.") || e.Type == "logout" {
			want = append(want, received{ID: e.ID, Type: e.Type})
		}
	}
	if types := typesOf(want); !slices.Equal(types, []string{"login.success", "logout", "login.success", "logout",
		"login.failure", "login.success", "logout"}) {
		t.Fatalf("audit log: %v", types)
	}
	waitFor(t, 30*time.Second, "every event at both receivers", func() bool {
		return len(sys.events()) >= len(want) && len(hook.events()) >= len(want)
	})
	time.Sleep(2 * time.Second) // a repeat would come within the backoff
	for name, got := range map[string][]received{"syslog": sys.events(), "webhook": hook.events()} {
		if !slices.Equal(got, want) {
			t.Errorf("%s got (in order)\n%v\nwant each once, in order\n%v", name, got, want)
		}
	}
	sys.mu.Lock()
	for _, m := range sys.raw {
		if *m.MsgID == "login.failure" && *m.Severity != 4 {
			t.Errorf("login.failure at severity %d, want 4 (warning)", *m.Severity)
		}
	}
	sys.mu.Unlock()
	if logs := srv.logs(); strings.Contains(logs, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") {
		t.Error("the webhook secret is in the log")
	}
}

// startForwarding starts a server over db that forwards audit events to
// sinks (the YAML items of audit_forwarding.sinks), retrying quickly.
func startForwarding(t *testing.T, db []string, sinks string) *server {
	t.Helper()
	srv := newServer(t, db)
	srv.Env = append(srv.Env, "E2E_HOOK_SECRET="+hookSecret)
	withConfig(t, srv, "outbound:\n  allow: [127.0.0.0/8]\naudit_forwarding:\n  poll_interval: 100ms\n"+
		"  retry_backoff: 300ms\n  max_backoff: 2s\n  timeout: 5s\n  sinks:\n"+sinks)
	srv.start(15 * time.Second)
	return srv
}

// adaSignsInAndOut makes Ada and a first-party client on srv (through
// admin's CLI) and returns what signs her in through the client in
// Chromium and out on srv's logout page, the client's id and the browser.
func adaSignsInAndOut(t *testing.T, srv, admin *server) (func(), string, context.Context) {
	t.Helper()
	rp := newRelyingParty(t)
	var client map[string]string
	admin.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	admin.cli("", &client, "clients", "create", "--name", "Forwarded App", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)
	return func() {
		t.Helper()
		signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
		waitText(t, ctx, "RP: signed in")
		signOut(t, ctx, srv)
	}, client["client_id"], ctx
}

func typesOf(rs []received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Type)
	}
	return out
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAuditForwardingTwoReplicasPostgres: two replicas on one PostgreSQL
// both run the forwarding worker over one queue. Events recorded by one
// replica's pages and by CLI commands, some while the receiver is down,
// arrive each exactly once and in the order they happened.
func TestAuditForwardingTwoReplicasPostgres(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	hook := &hookReceiver{t: t, wh: wh}
	hook.up()
	defer hook.down()
	db := database(t, "postgres")
	sinks := fmt.Sprintf(`    - name: hook
      type: webhook
      url: http://%s/hooks/audit
      secret_env: E2E_HOOK_SECRET
`, hook.addr)
	a, b := startForwarding(t, db, sinks), startForwarding(t, db, sinks)
	signInAndOut, _, _ := adaSignsInAndOut(t, a, b)
	signInAndOut()
	hook.down()
	for i := range 3 {
		b.cli("", nil, "clients", "create", "--name", fmt.Sprintf("App %d", i), "--redirect-uri", "https://app.example/cb")
	}
	signInAndOut()
	time.Sleep(3 * time.Second)
	hook.up()

	var events []struct{ ID, Type string }
	a.cli("", &events, "audit", "list", "--limit", "1000")
	var want []received
	for _, e := range slices.Backward(events) {
		want = append(want, received{ID: e.ID, Type: e.Type})
	}
	if len(want) != 8 {
		t.Fatalf("audit log: %v", want)
	}
	waitFor(t, 30*time.Second, "every event at the receiver", func() bool { return len(hook.events()) >= len(want) })
	time.Sleep(2 * time.Second)
	if got := hook.events(); !slices.Equal(got, want) {
		t.Errorf("receiver got (in order)\n%v\nwant each once, in order\n%v", got, want)
	}
}
