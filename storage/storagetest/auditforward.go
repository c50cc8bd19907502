package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var auditForwardTests = []subTest{
	{"AuditForward/QueueInOrder", testAuditForwardQueue},
	{"AuditForward/MarkAndRetry", testAuditForwardMark},
	{"AuditForward/QueuedWithTheEvent", testAuditForwardInTx},
	{"AuditForward/Cleanup", testAuditForwardCleanup},
}

// seqs returns the event ids of ds, in their order.
func eventIDs(ds []storage.AuditDelivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Event.ID)
	}
	return out
}

func testAuditForwardQueue(t *testing.T, s storage.Store) {
	ctx := t.Context()
	// Stored in one order, queued in another: a sink gets the queue's.
	var events []storage.AuditEvent
	for i, id := range []string{"f3", "f1", "f2"} {
		e := auditEvent(id, at(time.Duration(i)*time.Second), "login.success", "alice", "alice")
		events = append(events, e)
		must(t, "AppendAudit "+id, s.AppendAudit(ctx, e))
	}
	must(t, "Queue f1", s.QueueAuditForward(ctx, "f1", []string{"syslog", "hook"}, at(time.Second)))
	must(t, "Queue f3", s.QueueAuditForward(ctx, "f3", []string{"hook"}, at(2*time.Second)))
	must(t, "Queue f2", s.QueueAuditForward(ctx, "f2", []string{"syslog", "hook"}, at(3*time.Second)))
	must(t, "Queue to no sink", s.QueueAuditForward(ctx, "f2", nil, at(3*time.Second)))
	wantErr(t, "Queue f1 again (the idempotency key is taken)",
		s.QueueAuditForward(ctx, "f1", []string{"other", "syslog"}, base), storage.ErrAlreadyExists)

	hook, err := s.PendingAuditForward(ctx, "hook", 10)
	must(t, "Pending hook", err)
	equal(t, "hook's queue, in queue order", eventIDs(hook), []string{"f1", "f3", "f2"})
	sys, err := s.PendingAuditForward(ctx, "syslog", 10)
	must(t, "Pending syslog", err)
	equal(t, "syslog's queue", eventIDs(sys), []string{"f1", "f2"})
	if sys[0].Seq >= sys[1].Seq {
		t.Errorf("Seq does not grow: %d then %d", sys[0].Seq, sys[1].Seq)
	}
	other, err := s.PendingAuditForward(ctx, "other", 10)
	must(t, "Pending other", err)
	if len(other) != 0 {
		t.Errorf("a refused queueing left rows: %+v", other)
	}
	one, err := s.PendingAuditForward(ctx, "hook", 1)
	must(t, "Pending hook (limit 1)", err)
	equal(t, "hook's head", eventIDs(one), []string{"f1"})

	// The delivery carries the whole event.
	d := hook[1]
	d.Seq = 0
	equal(t, "delivery of f3", d, storage.AuditDelivery{Sink: "hook", Event: events[0], CreatedAt: at(2 * time.Second)})
}

func testAuditForwardMark(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, id := range []string{"m1", "m2"} {
		must(t, "AppendAudit "+id, s.AppendAudit(ctx, auditEvent(id, base, "logout", "bob", "bob")))
		must(t, "Queue "+id, s.QueueAuditForward(ctx, id, []string{"hook"}, base))
	}
	must(t, "MarkAuditForwardFailed", s.MarkAuditForwardFailed(ctx, "hook", "m1", "503 Service Unavailable", at(time.Minute)))
	must(t, "MarkAuditForwardFailed again", s.MarkAuditForwardFailed(ctx, "hook", "m1", "connection refused", at(3*time.Minute)))
	got, err := s.PendingAuditForward(ctx, "hook", 10)
	must(t, "Pending", err)
	if len(got) != 2 || got[0].Attempts != 2 || got[0].LastError != "connection refused" ||
		!sameTime(got[0].NextAttemptAt, at(3*time.Minute)) || got[1].Attempts != 0 || !got[1].NextAttemptAt.IsZero() {
		t.Fatalf("after two failures: %+v", got)
	}
	wantErr(t, "MarkAuditForwarded(not queued for that sink)", s.MarkAuditForwarded(ctx, "syslog", "m1", base), storage.ErrNotFound)
	wantErr(t, "MarkAuditForwarded(no such event)", s.MarkAuditForwarded(ctx, "hook", "nope", base), storage.ErrNotFound)
	wantErr(t, "MarkAuditForwardFailed(no such event)", s.MarkAuditForwardFailed(ctx, "hook", "nope", "x", base), storage.ErrNotFound)

	must(t, "MarkAuditForwarded", s.MarkAuditForwarded(ctx, "hook", "m1", at(4*time.Minute)))
	// A second replica that delivered the same row learns it lost.
	wantErr(t, "MarkAuditForwarded twice", s.MarkAuditForwarded(ctx, "hook", "m1", at(5*time.Minute)), storage.ErrNotFound)
	wantErr(t, "MarkAuditForwardFailed after delivery", s.MarkAuditForwardFailed(ctx, "hook", "m1", "x", base), storage.ErrNotFound)
	got, err = s.PendingAuditForward(ctx, "hook", 10)
	must(t, "Pending after delivery", err)
	equal(t, "pending after m1's delivery", eventIDs(got), []string{"m2"})
}

func testAuditForwardInTx(t *testing.T, s storage.Store) {
	ctx := t.Context()
	boom := errors.New("the request failed later")
	err := s.InTx(ctx, func(ctx context.Context) error {
		must(t, "AppendAudit", s.AppendAudit(ctx, auditEvent("rolled", base, "login.success", "a", "a")))
		must(t, "Queue", s.QueueAuditForward(ctx, "rolled", []string{"hook"}, base))
		return boom
	})
	wantErr(t, "InTx", err, boom)
	got, err := s.PendingAuditForward(ctx, "hook", 10)
	must(t, "Pending", err)
	if len(got) != 0 {
		t.Errorf("a rolled back event is queued: %+v", got)
	}
	if err := s.QueueAuditForward(ctx, "never-stored", []string{"hook"}, base); err == nil {
		t.Error("queued an event that is not stored")
	}
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.AppendAudit(ctx, auditEvent("kept", base, "login.success", "a", "a")); err != nil {
			return err
		}
		return s.QueueAuditForward(ctx, "kept", []string{"hook"}, base)
	})
	must(t, "InTx (committed)", err)
	got, err = s.PendingAuditForward(ctx, "hook", 10)
	must(t, "Pending", err)
	equal(t, "committed event queued", eventIDs(got), []string{"kept"})
}

func testAuditForwardCleanup(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, id := range []string{"old", "recent", "pending", "expired"} {
		must(t, "AppendAudit "+id, s.AppendAudit(ctx, auditEvent(id, at(time.Duration(i)*time.Hour), "logout", "a", "a")))
		must(t, "Queue "+id, s.QueueAuditForward(ctx, id, []string{"hook"}, base))
	}
	must(t, "deliver old", s.MarkAuditForwarded(ctx, "hook", "old", at(time.Minute)))
	must(t, "deliver recent", s.MarkAuditForwarded(ctx, "hook", "recent", at(time.Hour)))
	n, err := s.DeleteForwardedAudit(ctx, at(30*time.Minute), 10)
	must(t, "DeleteForwardedAudit", err)
	if n != 1 {
		t.Errorf("DeleteForwardedAudit removed %d rows, want 1 (old)", n)
	}
	// The audit retention removes an event with its queue rows, delivered
	// or not.
	_, err = s.DeleteAuditBefore(ctx, at(90*time.Minute), 10)
	must(t, "DeleteAuditBefore", err)
	got, err := s.PendingAuditForward(ctx, "hook", 10)
	must(t, "Pending", err)
	equal(t, "left pending", eventIDs(got), []string{"pending", "expired"})
	n, err = s.DeleteForwardedAudit(ctx, at(24*time.Hour), 10)
	must(t, "DeleteForwardedAudit", err)
	if n != 0 {
		t.Errorf("removed %d more rows: recent went with its event, pending ones stay", n)
	}
}

// testRaceMarkAuditForwarded: replicas marking one delivery at once, as
// after a lease expired under a stalled one: exactly one marks it.
func testRaceMarkAuditForwarded(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "AppendAudit", s.AppendAudit(ctx, auditEvent("raced", base, "logout", "a", "a")))
	must(t, "Queue", s.QueueAuditForward(ctx, "raced", []string{"hook"}, base))
	errs := race(racers, func(i int) error { return s.MarkAuditForwarded(ctx, "hook", "raced", at(time.Duration(i)*time.Second)) })
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, storage.ErrNotFound):
			t.Errorf("marker %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d markers won, want exactly 1", won)
	}
}
