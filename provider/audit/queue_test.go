package audit

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

// gatedStore holds every write until open is closed.
type gatedStore struct {
	open chan struct{}
	mu   sync.Mutex
	ids  []string
}

func (g *gatedStore) AppendAudit(_ context.Context, e storage.AuditEvent) error {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ids = append(g.ids, e.ID)
	return nil
}

// TestQueueWritesInOrderAndDropsPastItsSize: Record never waits; past the
// queue's room events are dropped and the count logged; Close writes what
// waits, in order; a Record after Close is logged, not written.
func TestQueueWritesInOrderAndDropsPastItsSize(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	st := &gatedStore{open: make(chan struct{})}
	q := NewQueue(st, 3, slog.New(slog.NewTextHandler(&logs, nil)))
	// The worker takes the first and hangs on it; three more wait; the
	// other six are dropped.
	for i := range 10 {
		q.Record(t.Context(), storage.AuditEvent{ID: fmt.Sprint(i), Type: "client.auth_failed"})
	}
	close(st.open)
	q.Close()
	if got := strings.Join(st.ids, ","); got != "0,1,2,3" && got != "0,1,2" {
		t.Errorf("written %s, want the first events in order", got)
	}
	dropped := 10 - len(st.ids)
	if !strings.Contains(logs.String(), fmt.Sprintf("dropped=%d", dropped)) {
		t.Errorf("the %d dropped events are not counted in the log:\n%s", dropped, logs.String())
	}
	q.Record(t.Context(), storage.AuditEvent{ID: "late", Type: "client.auth_failed"})
	q.Close()
	if len(st.ids) != 10-dropped || !strings.Contains(logs.String(), "event after shutdown not recorded") {
		t.Errorf("a late event: written %v, log:\n%s", st.ids, logs.String())
	}
}

// TestQueueWithoutEventsStartsNothing: Close of a queue never used returns.
func TestQueueWithoutEventsStartsNothing(t *testing.T) {
	t.Parallel()
	q := NewQueue(&memStore{}, 1, nil)
	q.Close()
	q.Close()
}

// TestQueueLogsAFailedWrite: the store's refusal is logged; the caller never saw it.
func TestQueueLogsAFailedWrite(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	q := NewQueue(&memStore{err: fmt.Errorf("disk full")}, 1, slog.New(slog.NewTextHandler(&logs, nil)))
	q.Record(t.Context(), storage.AuditEvent{ID: "x", Type: "client.auth_failed"})
	q.Close()
	if !strings.Contains(logs.String(), "audit append failed") || !strings.Contains(logs.String(), "disk full") {
		t.Errorf("log:\n%s", logs.String())
	}
}
