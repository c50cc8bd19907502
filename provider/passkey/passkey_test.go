package passkey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func newService(t *testing.T) (*passkey.Service, *storage.User) {
	t.Helper()
	store := sqlitetest.Open(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	u := storage.User{ID: "u1", Email: "ada@example.com", CreatedAt: now, UpdatedAt: now}
	if err := store.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"pk1", "pk2"} {
		if err := store.CreatePasskey(t.Context(), storage.Passkey{ID: id, UserID: "u1", CredentialID: []byte(id),
			Credential: []byte("{}"), Name: id, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	return &passkey.Service{Store: store, Audit: store, Now: func() time.Time { return now }}, &u
}

func TestRenameAndRemove(t *testing.T) {
	s, u := newService(t)
	ctx := t.Context()
	admin := accounts.Actor{ID: "admin", IP: "192.0.2.1"}
	if err := s.Rename(ctx, u.ID, "pk1", "  Work laptop "); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{string(make([]rune, passkey.MaxNameLength+1)), "tab\there"} {
		if err := s.Rename(ctx, u.ID, "pk1", bad); fault.KindOf(err) != fault.Invalid {
			t.Errorf("Rename(%q) = %v, want an invalid-input fault", bad, err)
		}
	}
	if err := s.Rename(ctx, "someone-else", "pk1", "x"); !errors.Is(err, passkey.ErrNotFound) {
		t.Errorf("Rename of another person's passkey = %v, want ErrNotFound", err)
	}
	if err := s.Remove(ctx, admin, u.ID, "pk1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, admin, u.ID, "pk1"); !errors.Is(err, passkey.ErrNotFound) {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
	list, err := s.List(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != "pk2" {
		t.Fatalf("List after Remove = %v, %v", list, err)
	}
	if n, err := s.RemoveAll(ctx, admin, u.ID); err != nil || n != 1 {
		t.Fatalf("RemoveAll = %d, %v; want 1", n, err)
	}
	events, err := s.Store.(storage.AuditStore).ListAudit(ctx, storage.AuditFilter{SubjectID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	var removed int
	for _, e := range events {
		if e.Type == "passkey.removed" && e.ActorID == "admin" && e.IP == "192.0.2.1" {
			removed++
		}
	}
	if removed != 2 {
		t.Errorf("passkey.removed events by the admin = %d, want 2 (%+v)", removed, events)
	}
}
