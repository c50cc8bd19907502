package accounts

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

type endedSessions struct {
	mu    sync.Mutex
	ended []string
}

func (e *endedSessions) SessionEnded(_ context.Context, userID, sessionID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ended = append(e.ended, userID+"/"+sessionID)
}

func TestEndOtherSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := sqlitetest.Open(t)
	now := time.Now().UTC()
	for _, u := range []string{"ada", "bob"} {
		if err := st.CreateUser(ctx, storage.User{ID: u, Email: u + "@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateClient(ctx, storage.Client{ID: "app", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ id, user string }{{"s1", "ada"}, {"s2", "ada"}, {"s3", "ada"}, {"b1", "bob"}} {
		err := st.CreateSession(ctx, storage.Session{ID: s.id, TokenHash: []byte(s.id), UserID: s.user, CreatedAt: now,
			LastSeen: now, AuthTime: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tk := range []struct {
		kind      storage.TokenKind
		sig, user string
	}{{storage.KindRefreshToken, "r1", "ada"}, {storage.KindAccessToken, "a1", "ada"}, {storage.KindRefreshToken, "rb", "bob"}} {
		err := st.CreateToken(ctx, storage.TokenRecord{Kind: tk.kind, Signature: tk.sig, RequestID: "req-" + tk.sig, ClientID: "app",
			Subject: tk.user, SessionID: "s1", Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	n := &endedSessions{}
	sessions, tokens, err := EndOtherSessions(ctx, st, n, "ada", "s1")
	if err != nil || sessions != 2 || tokens != 2 {
		t.Fatalf("EndOtherSessions = %d sessions, %d tokens, %v; want 2, 2", sessions, tokens, err)
	}
	if len(n.ended) != 2 {
		t.Errorf("notified %v, want the two ended sessions", n.ended)
	}
	left, err := st.ListSessionsByUser(ctx, "ada", now)
	if err != nil || len(left) != 1 || left[0].ID != "s1" {
		t.Fatalf("ada's sessions left: %+v, %v", left, err)
	}
	for _, tk := range []struct {
		kind   storage.TokenKind
		sig    string
		active bool
	}{{storage.KindRefreshToken, "r1", false}, {storage.KindAccessToken, "a1", false}, {storage.KindRefreshToken, "rb", true}} {
		rec, err := st.GetToken(ctx, tk.kind, tk.sig)
		if err != nil || rec.Active != tk.active {
			t.Errorf("token %s: active %v, %v; want %v", tk.sig, rec.Active, err, tk.active)
		}
	}
	if b, _ := st.ListSessionsByUser(ctx, "bob", now); len(b) != 1 {
		t.Error("another person's session ended")
	}
}
