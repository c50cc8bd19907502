package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var auditTests = []subTest{
	{"Audit/AppendAndFilter", testAudit},
	{"Audit/DefaultLimit", testAuditDefaultLimit},
}

func auditEvent(id string, tm time.Time, typ, actor, subject string) storage.AuditEvent {
	return storage.AuditEvent{
		ID: id, Time: tm, Type: typ, ActorID: actor, SubjectID: subject,
		ClientID: "client-" + id, OrgID: "org-" + id, IP: "198.51.100.4",
		Details: map[string]string{"reason": "test " + id, "user_agent": "curl/8"},
	}
}

func testAudit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	e1 := auditEvent("e1", at(1*time.Second), "login.success", "alice", "alice")
	e2 := auditEvent("e2", at(2*time.Second), "login.failure", "", "bob")
	e3 := auditEvent("e3", at(3*time.Second), "client.created", "admin", "app")
	e4 := auditEvent("e4", at(4*time.Second), "login.success", "bob", "bob")
	e5 := storage.AuditEvent{ID: "e5", Time: at(5 * time.Second), Type: "token.revoked", Details: map[string]string{}}
	// Appended out of time order.
	for _, e := range []storage.AuditEvent{e3, e1, e5, e2, e4} {
		must(t, "AppendAudit "+e.ID, s.AppendAudit(ctx, e))
	}
	wantErr(t, "AppendAudit(taken id)", s.AppendAudit(ctx, auditEvent("e1", base, "x", "", "")), storage.ErrAlreadyExists)

	for _, c := range []struct {
		name string
		f    storage.AuditFilter
		want []storage.AuditEvent
	}{
		{"all", storage.AuditFilter{}, []storage.AuditEvent{e5, e4, e3, e2, e1}},
		{"type", storage.AuditFilter{Type: "login.success"}, []storage.AuditEvent{e4, e1}},
		{"actor", storage.AuditFilter{ActorID: "bob"}, []storage.AuditEvent{e4}},
		{"subject", storage.AuditFilter{SubjectID: "bob"}, []storage.AuditEvent{e4, e2}},
		{"type and subject", storage.AuditFilter{Type: "login.failure", SubjectID: "bob"}, []storage.AuditEvent{e2}},
		{"since", storage.AuditFilter{Since: at(2500 * time.Millisecond)}, []storage.AuditEvent{e5, e4, e3}},
		{"until", storage.AuditFilter{Until: at(2500 * time.Millisecond)}, []storage.AuditEvent{e2, e1}},
		{"window", storage.AuditFilter{Since: at(1500 * time.Millisecond), Until: at(3500 * time.Millisecond)}, []storage.AuditEvent{e3, e2}},
		{"limit", storage.AuditFilter{Limit: 2}, []storage.AuditEvent{e5, e4}},
		{"page", storage.AuditFilter{Limit: 2, BeforeID: "e4"}, []storage.AuditEvent{e3, e2}},
		{"last page", storage.AuditFilter{Limit: 2, BeforeID: "e2"}, []storage.AuditEvent{e1}},
		{"page with type", storage.AuditFilter{Type: "login.success", BeforeID: "e4"}, []storage.AuditEvent{e1}},
		{"nothing", storage.AuditFilter{Type: "nope"}, nil},
	} {
		got, err := s.ListAudit(ctx, c.f)
		must(t, "ListAudit "+c.name, err)
		equal(t, "ListAudit "+c.name, got, c.want)
	}
	got, err := s.ListAudit(ctx, storage.AuditFilter{Type: "token.revoked"})
	must(t, "ListAudit", err)
	if len(got) == 1 {
		wantNilEmpty(t, "event without details", got[0])
	}
}

func testAuditDefaultLimit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "append 105 events", s.InTx(ctx, func(ctx context.Context) error {
		for i := range 105 {
			if err := s.AppendAudit(ctx, storage.AuditEvent{ID: fmt.Sprintf("e%03d", i), Time: at(time.Duration(i) * time.Second), Type: "x"}); err != nil {
				return err
			}
		}
		return nil
	}))
	got, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, "ListAudit", err)
	if len(got) != 100 {
		t.Fatalf("ListAudit without a limit returned %d events, want the default 100", len(got))
	}
	if got[0].ID != "e104" || got[99].ID != "e005" {
		t.Errorf("ListAudit returned %s..%s, want e104..e005", got[0].ID, got[99].ID)
	}
}
