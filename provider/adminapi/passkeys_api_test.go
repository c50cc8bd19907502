package adminapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// noTOTP is a second factor service for people who never set up an
// authenticator app.
type noTOTP struct{}

func (noTOTP) Disable(context.Context, string) error { return mfa.ErrNotEnabled }

// An administrator lists a user's passkeys (name, type, created, last
// used; never the credential) and removes one over HTTP, audited
// passkey.removed with the admin as actor; another user's or nobody's are
// 404. Resetting the second factors of a user who has passkeys and no
// authenticator app removes the passkeys (one passkey.removed event with
// the count) and ends their sessions; a second reset is 404.
func TestAdminListsAndRemovesPasskeys(t *testing.T) {
	ctx := t.Context()
	st := sqlitetest.Open(t)
	now := time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, id := range []string{"ada", "bob"} {
		if err := st.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []storage.Passkey{
		{ID: "pk1", UserID: "ada", CredentialID: []byte("c1"), Credential: []byte("{}"), Name: "Laptop", Attachment: "platform",
			CreatedAt: now.Add(-2 * time.Hour), LastUsedAt: now.Add(-time.Hour)},
		{ID: "pk2", UserID: "ada", CredentialID: []byte("c2"), Credential: []byte("{}"), Name: "Key", Attachment: "cross-platform",
			CreatedAt: now.Add(-time.Hour)},
		{ID: "pk3", UserID: "ada", CredentialID: []byte("c3"), Credential: []byte("{}"), CreatedAt: now},
	} {
		if err := st.CreatePasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateSession(ctx, storage.Session{ID: "s1", TokenHash: []byte("h"), UserID: "ada", AuthTime: now,
		AMR: []string{"hwk", "user", "mfa"}, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st, Audit: st, MFA: noTOTP{}, Now: clock,
		Users:    &accounts.Users{Store: st, Audit: st, Now: clock},
		Passkeys: &passkey.Service{Store: st, Audit: st, Now: clock}}
	srv := httptest.NewServer((&Handler{Service: svc, Auth: anyAdmin{}, Issuer: "http://issuer.test"}).Handle())
	t.Cleanup(srv.Close)
	call := caller(t, srv)

	status, body := call("GET", "/users/ada/passkeys")
	var list struct{ Items []map[string]any }
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list.Items) != 3 {
		t.Fatalf("list: %d %s", status, body)
	}
	byID := map[string]map[string]any{}
	for _, it := range list.Items {
		byID[it["id"].(string)] = it
		if it["credential"] != nil || it["credential_id"] != nil {
			t.Errorf("listed the credential: %v", it)
		}
	}
	if it := byID["pk1"]; it["name"] != "Laptop" || it["type"] != "platform" || it["last_used_at"] != "2030-03-01T08:00:00Z" {
		t.Errorf("pk1 listed as %v", it)
	}
	if it := byID["pk2"]; it["type"] != "roaming" || it["last_used_at"] != nil || it["created_at"] != "2030-03-01T08:00:00Z" {
		t.Errorf("pk2 listed as %v", it)
	}
	if it := byID["pk3"]; it["type"] != "unknown" {
		t.Errorf("pk3 listed as %v", it)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/users/nobody/passkeys"},
		{"DELETE", "/users/nobody/passkeys/pk1"},
		{"DELETE", "/users/bob/passkeys/pk1"},
		{"DELETE", "/users/ada/passkeys/nope"},
	} {
		if status, body := call(c.method, c.path); status != http.StatusNotFound {
			t.Errorf("%s %s: %d %s, want 404", c.method, c.path, status, body)
		}
	}
	if status, body := call("DELETE", "/users/ada/passkeys/pk1"); status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", status, body)
	}
	if left, _ := st.ListPasskeys(ctx, "ada"); len(left) != 2 {
		t.Fatalf("passkeys after the removal: %+v", left)
	}
	evs, err := st.ListAudit(ctx, storage.AuditFilter{Type: "passkey.removed"})
	if err != nil || len(evs) != 1 || evs[0].ActorID != "root" || evs[0].SubjectID != "ada" || evs[0].Details["passkey_id"] != "pk1" {
		t.Fatalf("audit: %+v %v", evs, err)
	}

	// The reset covers passkeys: ada has no authenticator app, only them.
	if status, body := call("POST", "/users/ada/reset-mfa"); status != http.StatusOK {
		t.Fatalf("reset-mfa: %d %s", status, body)
	}
	if left, _ := st.ListPasskeys(ctx, "ada"); len(left) != 0 {
		t.Errorf("passkeys after the reset: %+v", left)
	}
	if _, err := st.GetSession(ctx, "s1", now); err == nil {
		t.Error("the passkey session survived the reset")
	}
	evs, err = st.ListAudit(ctx, storage.AuditFilter{Type: "passkey.removed"})
	if err != nil || len(evs) != 2 || !slices.ContainsFunc(evs, func(e storage.AuditEvent) bool { return e.Details["count"] == "2" && e.ActorID == "root" }) {
		t.Errorf("audit after the reset: %+v %v", evs, err)
	}
	if status, body := call("POST", "/users/ada/reset-mfa"); status != http.StatusNotFound {
		t.Errorf("second reset-mfa: %d %s, want 404 (neither a factor nor a passkey)", status, body)
	}
}
