package mail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/internal/smtptest"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
	"github.com/ostiary/ostiary/templates"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type outboxStore interface {
	Queue
	Enqueuer
	ListMail(ctx context.Context, limit int) ([]storage.Mail, error)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testSealer seals with keys derived from fixed system secrets, current
// first, as the server does.
func testSealer(t *testing.T, system ...string) *secrets.Sealer {
	t.Helper()
	if len(system) == 0 {
		system = []string{"test system secret, at least 32 bytes long"}
	}
	var raw [][]byte
	for _, s := range system {
		raw = append(raw, []byte(s))
	}
	s, err := secrets.NewSealer(secrets.Derive(raw, secrets.PurposeMailBody, secrets.SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)) }

func enqueue(t *testing.T, st Enqueuer, now func() time.Time, n int) {
	t.Helper()
	o, err := NewOutbox(st, templates.Mail, testSealer(t), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		data := ResetPassword{Name: "Ada", Link: fmt.Sprintf("https://id.example/reset?token=t%02d", i), Expires: "1 hour"}
		if err := o.Send(t.Context(), fmt.Sprintf("user%02d@example.com", i), data); err != nil {
			t.Fatal(err)
		}
	}
}

func onlyMail(t *testing.T, st outboxStore) storage.Mail {
	t.Helper()
	ms, err := st.ListMail(t.Context(), 10)
	if err != nil || len(ms) != 1 {
		t.Fatalf("ListMail = %d mails, %v", len(ms), err)
	}
	return ms[0]
}

func TestWorkerRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	srv := startSMTP(t, smtptest.Options{})
	clock := &fakeClock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	w := withSettings(&Worker{Queue: st, Sealer: testSealer(t), Sender: &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 5 * time.Second},
		From: "Ostiary <id@example.com>", Now: clock.now, Backoff: 30 * time.Second, Logger: quietLogger()})
	enqueue(t, st, clock.now, 1)

	srv.Refuse(1, 451)
	if ok, err := w.RunOnce(t.Context()); !ok || err != nil {
		t.Fatalf("RunOnce = %v, %v", ok, err)
	}
	m := onlyMail(t, st)
	if m.Attempts != 1 || !m.SentAt.IsZero() || !m.NextAttemptAt.Equal(clock.now().Add(30*time.Second)) || m.LastError == "" {
		t.Fatalf("after a 451: %+v", m)
	}
	clock.add(29 * time.Second)
	if ok, err := w.RunOnce(t.Context()); ok || err != nil {
		t.Fatalf("RunOnce before the retry time = %v, %v", ok, err)
	}
	srv.Refuse(1, 451)
	clock.add(time.Second)
	if ok, err := w.RunOnce(t.Context()); !ok || err != nil {
		t.Fatalf("RunOnce = %v, %v", ok, err)
	}
	if m := onlyMail(t, st); m.Attempts != 2 || !m.NextAttemptAt.Equal(clock.now().Add(time.Minute)) {
		t.Fatalf("the second retry must wait twice as long: %+v", m)
	}
	clock.add(time.Minute)
	if ok, err := w.RunOnce(t.Context()); !ok || err != nil {
		t.Fatalf("RunOnce = %v, %v", ok, err)
	}
	if m := onlyMail(t, st); m.Attempts != 3 || !m.SentAt.Equal(clock.now()) {
		t.Fatalf("after delivery: %+v", m)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "user00@example.com" {
		t.Fatalf("delivered: %+v", got)
	}
	clock.add(time.Hour)
	if ok, _ := w.RunOnce(t.Context()); ok {
		t.Fatal("a sent mail was claimed again")
	}
}

func TestWorkerGivesUp(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, smtptest.Options{})
	for _, tc := range []struct {
		name          string
		code, refuse  int
		maxAttempts   int
		wantAttempts  int
		wantDelivered int
	}{
		{"permanent refusal", 550, 1, 5, 1, 0},
		{"max attempts", 451, 3, 3, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sqlitetest.Open(t)
			clock := &fakeClock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
			w := withSettings(&Worker{Queue: st, Sealer: testSealer(t), Sender: &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 5 * time.Second},
				From: "id@example.com", Now: clock.now, MaxAttempts: tc.maxAttempts, Logger: quietLogger()})
			enqueue(t, st, clock.now, 1)
			srv.Refuse(tc.refuse, tc.code)
			for range 10 {
				if _, err := w.RunOnce(t.Context()); err != nil {
					t.Fatal(err)
				}
				clock.add(2 * time.Hour)
			}
			srv.Refuse(0, 0)
			m := onlyMail(t, st)
			if m.Attempts != tc.wantAttempts || m.FailedAt.IsZero() || !m.SentAt.IsZero() {
				t.Fatalf("mail %+v, want %d attempts and given up", m, tc.wantAttempts)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails delivered", n)
	}
}

var messageID = regexp.MustCompile(`(?m)^Message-ID: <([^@>]+)@`)

// Two workers on one outbox, each with its own database handle like two
// replicas, send every mail exactly once.
func TestWorkersSendEachMailOnceSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "o.db")
	a, b := sqlitetest.OpenFile(t, path), sqlitetest.OpenFile(t, path)
	workersSendOnce(t, a, a, b)
}

func TestWorkersSendEachMailOncePostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	open := func() *postgres.Store {
		s, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	workersSendOnce(t, a, a, b)
}

func workersSendOnce(t *testing.T, st outboxStore, queues ...Queue) {
	const n = 40
	srv := startSMTP(t, smtptest.Options{})
	enqueue(t, st, time.Now, n)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, q := range queues {
		w := withSettings(&Worker{Queue: q, Sealer: testSealer(t), Sender: &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 5 * time.Second},
			From: "id@example.com", PollInterval: 10 * time.Millisecond, Logger: quietLogger()})
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	srv.WaitMessages(n, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	cancel()
	wg.Wait()
	got := srv.Messages()
	seen := map[string]int{}
	for _, m := range got {
		id := messageID.FindStringSubmatch(m.Data)
		if id == nil {
			t.Fatalf("no Message-ID in\n%s", m.Data)
		}
		seen[id[1]]++
	}
	ms, err := st.ListMail(t.Context(), 2*n)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if seen[m.ID] != 1 || m.SentAt.IsZero() || m.Attempts != 1 {
			t.Errorf("mail %s: delivered %d times, sent_at %v, attempts %d", m.ID, seen[m.ID], m.SentAt, m.Attempts)
		}
	}
	if len(got) != n || len(ms) != n {
		t.Fatalf("%d deliveries of %d mails, want %d", len(got), len(ms), n)
	}
}

// Shutting down waits for the delivery in hand instead of leaving it sent
// but unrecorded.
func TestWorkerFinishesDeliveryOnShutdown(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	srv := startSMTP(t, smtptest.Options{})
	srv.Hold()
	enqueue(t, st, time.Now, 1)
	w := withSettings(&Worker{Queue: st, Sealer: testSealer(t), Sender: &SMTP{Host: srv.Host, Port: srv.Port, TLS: TLSNone, Timeout: 10 * time.Second},
		From: "id@example.com", PollInterval: 10 * time.Millisecond, Logger: quietLogger()})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	if !srv.WaitConnections(1, 10*time.Second) {
		t.Fatal("the worker never connected")
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned with a delivery in hand")
	case <-time.After(200 * time.Millisecond):
	}
	srv.Release()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the delivery")
	}
	if m := onlyMail(t, st); m.SentAt.IsZero() || len(srv.Messages()) != 1 {
		t.Fatalf("after shutdown: %+v, %d delivered", m, len(srv.Messages()))
	}
}
