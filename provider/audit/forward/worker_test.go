package forward

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// recorder is a sink that records what it got and fails while down.
type recorder struct {
	mu   sync.Mutex
	got  []string
	down bool
}

func (r *recorder) Deliver(_ context.Context, e storage.AuditEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return errors.New("connection refused")
	}
	r.got = append(r.got, e.ID)
	return nil
}

func (r *recorder) Close() error { return nil }

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newWorker(store Store, clk *clock, sinks ...*Sink) *Worker {
	return &Worker{Store: store, Sinks: sinks, Now: clk.now, PollInterval: time.Second, Lease: time.Minute,
		Backoff: time.Second, MaxBackoff: 8 * time.Second, Timeout: 5 * time.Second, BatchSize: 3}
}

func record(t *testing.T, o *Outbox, n int, typ string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%02d", typ, i)
		if err := o.AppendAudit(t.Context(), storage.AuditEvent{ID: id, Time: when, Type: typ}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestWorkerInOrderThroughAnOutage: while a sink is down its head is
// retried with a doubling backoff and nothing behind it overtakes; once
// it is up, every event arrives once, in order, and the other sink was
// never held back.
func TestWorkerInOrderThroughAnOutage(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	clk := &clock{t: when.Truncate(time.Microsecond)}
	hook, sys := &recorder{down: true}, &recorder{}
	sinks := []*Sink{{Route{"hook", Filter{"login.*"}}, hook}, {Route{"sys", nil}, sys}}
	o := &Outbox{Store: store, Routes: Routes(sinks), Now: clk.now}
	want := record(t, o, 7, "login.success")
	other := record(t, o, 1, "logout")
	w := newWorker(store, clk, sinks...)
	ctx := t.Context()

	var waits []time.Duration
	for range 4 {
		n, err := w.Pass(ctx, sinks[0])
		if err != nil || n != 0 {
			t.Fatalf("pass while down: %d, %v", n, err)
		}
		q, _ := store.PendingAuditForward(ctx, "hook", 10)
		waits = append(waits, q[0].NextAttemptAt.Sub(clk.now()))
		if q[1].Attempts != 0 {
			t.Fatal("an event behind the failing head was tried")
		}
		if n, _ := w.Pass(ctx, sinks[0]); n != 0 {
			t.Fatal("the head was retried before its backoff ran out")
		}
		clk.add(waits[len(waits)-1])
	}
	if !slices.Equal(waits, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}) {
		t.Errorf("backoff %v, want doubling from 1s", waits)
	}
	if n, err := w.Pass(ctx, sinks[1]); n != 8 || err != nil {
		t.Errorf("the other sink: %d, %v", n, err)
	}
	hook.mu.Lock()
	hook.down = false
	hook.mu.Unlock()
	if n, err := w.Pass(ctx, sinks[0]); n != 7 || err != nil {
		t.Fatalf("pass after the outage: %d, %v", n, err)
	}
	if got := hook.ids(); !slices.Equal(got, want) {
		t.Errorf("hook got %v, want %v", got, want)
	}
	if got := sys.ids(); !slices.Equal(got, append(want, other...)) {
		t.Errorf("sys got %v", got)
	}
	if q, _ := store.PendingAuditForward(ctx, "hook", 10); len(q) != 0 {
		t.Errorf("left in the queue: %+v", q)
	}
}

// TestWorkerReplicas: two workers on one database, passing at the same
// time over and over, deliver every event exactly once and in order: the
// sink's lease keeps the other out.
func TestWorkerReplicasSQLite(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	workerReplicas(t, store, store)
}

// TestWorkerReplicasPostgres: the same with two connection pools, as two
// replicas have, while events are recorded through both.
func TestWorkerReplicasPostgres(t *testing.T) {
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
	workerReplicas(t, open(), open())
}

type replicaStore interface {
	Store
	OutboxStore
}

func workerReplicas(t *testing.T, a, b replicaStore) {
	clk := &clock{t: when.Truncate(time.Microsecond)}
	got := &recorder{}
	sink := &Sink{Route{"hook", nil}, got}
	outboxes := []*Outbox{{Store: a, Routes: Routes([]*Sink{sink}), Now: clk.now}, {Store: b, Routes: Routes([]*Sink{sink}), Now: clk.now}}
	var want []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, w := range []*Worker{newWorker(a, clk, sink), newWorker(b, clk, sink)} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := w.Pass(t.Context(), sink); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 40 {
		want = append(want, record(t, outboxes[i%2], 1, fmt.Sprintf("e%02d", i))...)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(got.ids()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if ids := got.ids(); !slices.Equal(ids, want) {
		t.Errorf("delivered %v\nwant %v", ids, want)
	}
}

// TestOutboxQueuesWithTheEvent: an event is queued for the sinks whose
// filter takes it, in the transaction that stores it: a caller's rollback
// takes both.
func TestOutboxQueuesWithTheEvent(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	ctx := t.Context()
	woken := 0
	o := &Outbox{Store: store, Routes: []Route{{"logins", Filter{"login.*"}}, {"all", nil}, {"out", Filter{"logout"}}},
		Wake: func() { woken++ }}
	if err := o.AppendAudit(ctx, storage.AuditEvent{ID: "a", Time: when, Type: "login.success"}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("later step failed")
	err := store.InTx(ctx, func(ctx context.Context) error {
		if err := o.AppendAudit(ctx, storage.AuditEvent{ID: "b", Time: when, Type: "logout"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := o.AppendAudit(ctx, storage.AuditEvent{ID: "a", Time: when, Type: "login.success"}); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("taken id: %v", err)
	}
	for sink, want := range map[string][]string{"logins": {"a"}, "all": {"a"}, "out": nil} {
		q, err := store.PendingAuditForward(ctx, sink, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range q {
			ids = append(ids, d.Event.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s queue %v, want %v", sink, ids, want)
		}
	}
	if ev, _ := store.ListAudit(ctx, storage.AuditFilter{}); len(ev) != 1 {
		t.Errorf("stored %+v", ev)
	}
	if woken != 2 {
		t.Errorf("woken %d times", woken)
	}
}

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f    Filter
		typ  string
		want bool
	}{
		{nil, "anything", true},
		{Filter{"*"}, "logout", true},
		{Filter{"logout"}, "logout", true},
		{Filter{"logout"}, "logout.other", false},
		{Filter{"login.*"}, "login.success", true},
		{Filter{"login.*"}, "login.mfa_failure", true},
		{Filter{"login.*"}, "login", false},
		{Filter{"login.*"}, "loginx.success", false},
		{Filter{"user.*", "logout"}, "logout", true},
	} {
		if got := c.f.Match(c.typ); got != c.want {
			t.Errorf("%v.Match(%q) = %v", c.f, c.typ, got)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	sec, _ := ParseSecret(testSecret)
	good := []SinkConfig{
		{Name: "papertrail", Type: TypeSyslog, Address: "logs.example.com:6514", Transport: TransportTLS, Facility: "auth", Events: []string{"login.*", "logout"}},
		{Name: "hook", Type: TypeWebhook, URL: "https://siem.example/hook", Secret: sec},
	}
	if errs := Validate("s", good); len(errs) != 0 {
		t.Fatalf("good config: %v", errs)
	}
	for _, c := range []struct {
		sink SinkConfig
		key  string
	}{
		{SinkConfig{Name: "Bad Name", Type: TypeWebhook, URL: "https://x.example", Secret: sec}, "s[0].name"},
		{SinkConfig{Name: "a", Type: "kafka"}, "s[0].type"},
		{SinkConfig{Name: "a", Type: TypeSyslog, Address: "nohost", Transport: TransportTCP, Facility: "auth"}, "s[0].address"},
		{SinkConfig{Name: "a", Type: TypeSyslog, Address: "h:514", Transport: "relp", Facility: "auth"}, "s[0].transport"},
		{SinkConfig{Name: "a", Type: TypeSyslog, Address: "h:514", Transport: TransportUDP, Facility: "local9"}, "s[0].facility"},
		{SinkConfig{Name: "a", Type: TypeSyslog, Address: "h:514", Transport: TransportUDP, Facility: "auth", MaxMessageSize: 100}, "s[0].max_message_size"},
		{SinkConfig{Name: "a", Type: TypeSyslog, Address: "h:514", Transport: TransportUDP, Facility: "auth", Events: []string{"login*"}}, "s[0].events"},
		{SinkConfig{Name: "a", Type: TypeWebhook, URL: "ftp://x.example", Secret: sec}, "s[0].url"},
		{SinkConfig{Name: "a", Type: TypeWebhook, URL: "https://user:pw@x.example", Secret: sec}, "s[0].url"},
		{SinkConfig{Name: "a", Type: TypeWebhook, URL: "https://x.example"}, "s[0].secret"},
	} {
		errs := Validate("s", []SinkConfig{c.sink})
		if len(errs) == 0 || !containsKey(errs, c.key) {
			t.Errorf("%+v: errors %v, want one for %s", c.sink, errs, c.key)
		}
	}
	if errs := Validate("s", []SinkConfig{good[1], good[1]}); !containsKey(errs, "s[1].name") {
		t.Errorf("a repeated name: %v", errs)
	}
}

func containsKey(errs []error, key string) bool {
	for _, e := range errs {
		if len(e.Error()) > len(key) && e.Error()[:len(key)+1] == key+":" {
			return true
		}
	}
	return false
}
