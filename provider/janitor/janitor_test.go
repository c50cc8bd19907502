package janitor_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/provider/janitor"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backend is a real store and a way to count its rows.
type backend struct {
	store storage.Store
	count func(t *testing.T, table string) int
}

func sqliteBackend(t *testing.T) backend {
	path := filepath.Join(t.TempDir(), "ostiary.db")
	st := sqlitetest.OpenFile(t, path)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return backend{store: st, count: func(t *testing.T, table string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}}
}

func postgresBackend(t *testing.T) backend {
	dsn := pgtest.DSN(t)
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	names := map[string]string{"mail": "mail_outbox"}
	return backend{store: st, count: func(t *testing.T, table string) int {
		t.Helper()
		if n, ok := names[table]; ok {
			table = n
		}
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}}
}

func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteBackend(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresBackend(t)) })
}

var t0 = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seed stores expired and live rows of every kind the janitor sweeps:
// expired tokens of every kind (and rotated refresh tokens still valid).
func seed(t *testing.T, st storage.Store, expiredTokens int) {
	ctx := t.Context()
	must(t, st.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com", CreatedAt: t0, UpdatedAt: t0}))
	kinds := []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken, storage.KindPKCE, storage.KindOIDC}
	tok := func(kind storage.TokenKind, sig string, exp time.Time) storage.TokenRecord {
		return storage.TokenRecord{Kind: kind, Signature: sig, RequestID: "req-" + sig, RequestedAt: t0.Add(-time.Hour),
			ClientID: "app", Subject: "u1", Session: []byte("{}"), Active: true, ExpiresAt: exp}
	}
	for i := range expiredTokens {
		must(t, st.CreateToken(ctx, tok(kinds[i%len(kinds)], fmt.Sprintf("old%d", i), t0.Add(-time.Minute))))
	}
	// Live: one active refresh token, one rotated (inactive) one.
	must(t, st.CreateToken(ctx, tok(storage.KindRefreshToken, "live", t0.Add(time.Hour))))
	must(t, st.CreateToken(ctx, tok(storage.KindRefreshToken, "rotated", t0.Add(time.Hour))))
	must(t, st.InvalidateToken(ctx, storage.KindRefreshToken, "rotated", t0.Add(-time.Minute)))
	for i, exp := range []time.Time{t0.Add(-time.Second), t0.Add(time.Hour)} {
		must(t, st.CreateSession(ctx, storage.Session{ID: fmt.Sprint("s", i), TokenHash: randtoken.Hash(fmt.Sprint("s", i)), UserID: "u1",
			CreatedAt: t0.Add(-2 * time.Hour), LastSeen: t0.Add(-2 * time.Hour), ExpiresAt: exp}))
		must(t, st.CreateAuthRequest(ctx, storage.AuthRequest{ID: fmt.Sprint("a", i), ClientID: "app", CreatedAt: t0.Add(-time.Hour), ExpiresAt: exp}))
		must(t, st.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(fmt.Sprint("o", i)), Purpose: "reset_password",
			UserID: "u1", Email: fmt.Sprint(i, "@example.com"), CreatedAt: t0.Add(-time.Hour), ExpiresAt: exp}))
		must(t, st.CreateMFAChallenge(ctx, storage.MFAChallenge{TokenHash: randtoken.Hash(fmt.Sprint("c", i)), UserID: "u1",
			CreatedAt: t0.Add(-time.Hour), ExpiresAt: exp}))
		_, _, err := st.Hit(ctx, fmt.Sprint("ip:", i), time.Hour, exp.Add(-time.Hour))
		must(t, err)
		must(t, st.UseDPoPProof(ctx, randtoken.Hash(fmt.Sprint("jti", i)), t0.Add(-time.Hour), exp))
	}
	for _, id := range []string{"pending", "sent-old", "sent-new", "failed-old", "failed-new"} {
		must(t, st.EnqueueMail(ctx, storage.Mail{ID: id, To: "u1@example.com", Subject: "s", CreatedAt: t0.Add(-60 * 24 * time.Hour)}))
	}
	must(t, st.MarkMailSent(ctx, "sent-old", t0.Add(-8*24*time.Hour)))
	must(t, st.MarkMailSent(ctx, "sent-new", t0.Add(-time.Hour)))
	must(t, st.GiveUpMail(ctx, "failed-old", "550", t0.Add(-31*24*time.Hour)))
	must(t, st.GiveUpMail(ctx, "failed-new", "550", t0.Add(-8*24*time.Hour)))
	must(t, st.AppendAudit(ctx, storage.AuditEvent{ID: "e-old", Time: t0.Add(-400 * 24 * time.Hour), Type: "login.success"}))
	must(t, st.AppendAudit(ctx, storage.AuditEvent{ID: "e-new", Time: t0.Add(-time.Hour), Type: "login.success"}))
}

func TestPassShrinksTablesInBoundedBatches(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		seed(t, b.store, 35)
		c := &clock{t: t0}
		var pauses int
		j := configured(&janitor.Janitor{Store: b.store, Now: c.Now, BatchSize: 10,
			Sleep: func(context.Context, time.Duration) error { pauses++; return nil }})
		before := map[string]int{}
		tables := []string{"tokens", "sessions", "auth_requests", "one_time_tokens", "mfa_challenges", "mail", "throttle", "dpop_proofs", "audit_events"}
		for _, tb := range tables {
			before[tb] = b.count(t, tb)
		}
		res, err := j.RunOnce(t.Context())
		must(t, err)
		if res.Skipped {
			t.Fatal("pass skipped with no other janitor")
		}
		want := map[string]int{"tokens": 37 - 35, "sessions": 1, "auth_requests": 1, "one_time_tokens": 1, "mfa_challenges": 1,
			"mail": 3, "throttle": 1, "dpop_proofs": 1, "audit_events": 2}
		for _, tb := range tables {
			if got := b.count(t, tb); got != want[tb] {
				t.Errorf("%s: %d rows before, %d after; want %d after", tb, before[tb], got, want[tb])
			}
		}
		if before["tokens"] != 37 {
			t.Errorf("tokens before = %d, want 37", before["tokens"])
		}
		got := map[string]janitor.Removed{}
		for _, r := range res.Removed {
			got[r.Table] = r
		}
		if r := got["tokens"]; r.Rows != 35 || r.Batches != 4 {
			t.Errorf("tokens: removed %d in %d batches; want 35 in 4 (limit 10)", r.Rows, r.Batches)
		}
		if pauses != 3 {
			t.Errorf("paused %d times between batches, want 3", pauses)
		}
		if _, ok := got["audit_events"]; ok {
			t.Error("audit events swept without a retention")
		}
		// The rotated refresh token is still there for reuse detection.
		if r, err := b.store.GetToken(t.Context(), storage.KindRefreshToken, "rotated"); err != nil || r.Active {
			t.Errorf("rotated refresh token: %+v, %v; want kept, inactive", r.Active, err)
		}

		// With a retention, old audit events go too.
		j.AuditRetention = 365 * 24 * time.Hour
		res, err = j.RunOnce(t.Context())
		must(t, err)
		if n := b.count(t, "audit_events"); n != 1 || res.Total() != 1 {
			t.Errorf("with audit retention: %d events left, %d removed; want 1, 1", n, res.Total())
		}
		// An hour later every token has expired, the rotated one included.
		c.Advance(time.Hour + time.Second)
		_, err = j.RunOnce(t.Context())
		must(t, err)
		if n := b.count(t, "tokens"); n != 0 {
			t.Errorf("after every expiry %d token rows left", n)
		}
	})
}

// Two janitors at once: the second finds the lease taken and skips; once
// the first is done, a pass runs again.
func TestTwoJanitorsOnePassAtATime(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		seed(t, b.store, 20)
		c := &clock{t: t0}
		second := configured(&janitor.Janitor{Store: b.store, Now: c.Now, BatchSize: 10})
		var during janitor.Result
		var duringErr error
		first := configured(&janitor.Janitor{Store: b.store, Now: c.Now, BatchSize: 10,
			Sleep: func(ctx context.Context, _ time.Duration) error {
				if during.Started.IsZero() {
					during, duringErr = second.RunOnce(ctx) // mid-pass of the first
				}
				return nil
			}})
		res, err := first.RunOnce(t.Context())
		must(t, err)
		must(t, duringErr)
		if res.Skipped || res.Total() == 0 {
			t.Fatalf("first pass: %+v", res)
		}
		if !during.Skipped || len(during.Removed) != 0 {
			t.Errorf("second janitor during the first pass: %+v; want skipped, nothing removed", during)
		}
		after, err := second.RunOnce(t.Context())
		must(t, err)
		if after.Skipped {
			t.Error("second janitor skipped after the first released the lease")
		}
	})
}

// A janitor that died holding the lease delays the others only until the
// lease expires.
func TestLeaseOfADeadJanitorExpires(t *testing.T) {
	t.Parallel()
	b := sqliteBackend(t)
	c := &clock{t: t0}
	ok, err := b.store.AcquireLease(t.Context(), janitor.LeaseName, "dead", t0, t0.Add(janitor.DefaultLease))
	must(t, err)
	if !ok {
		t.Fatal("lease not taken")
	}
	j := configured(&janitor.Janitor{Store: b.store, Now: c.Now})
	if res, err := j.RunOnce(t.Context()); err != nil || !res.Skipped {
		t.Fatalf("while the dead janitor's lease runs: %+v, %v; want skipped", res, err)
	}
	c.Advance(janitor.DefaultLease)
	if res, err := j.RunOnce(t.Context()); err != nil || res.Skipped {
		t.Fatalf("after the lease expired: %+v, %v; want a pass", res, err)
	}
}

// Delivered audit forwarding rows go after ForwardedAuditRetention; rows
// still waiting for their sink stay, however old; 0 keeps them all.
func TestPassRemovesForwardedAuditRows(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		for i, id := range []string{"delivered-long-ago", "delivered-recently", "waiting"} {
			must(t, b.store.AppendAudit(ctx, storage.AuditEvent{ID: id, Time: t0.Add(time.Duration(i) * time.Second), Type: "logout"}))
			must(t, b.store.QueueAuditForward(ctx, id, []string{"hook"}, t0.Add(-30*24*time.Hour)))
		}
		must(t, b.store.MarkAuditForwarded(ctx, "hook", "delivered-long-ago", t0.Add(-8*24*time.Hour)))
		must(t, b.store.MarkAuditForwarded(ctx, "hook", "delivered-recently", t0.Add(-time.Hour)))
		c := &clock{t: t0}
		j := configured(&janitor.Janitor{Store: b.store, Now: c.Now})
		_, err := j.RunOnce(ctx)
		must(t, err)
		if n := b.count(t, "audit_forward"); n != 3 {
			t.Errorf("without a retention %d rows left, want 3", n)
		}
		j.ForwardedAuditRetention = janitor.DefaultForwardedAuditRetention
		res, err := j.RunOnce(ctx)
		must(t, err)
		if n := b.count(t, "audit_forward"); n != 2 || res.Total() != 1 {
			t.Errorf("with a retention %d rows left, %d removed; want 2, 1", n, res.Total())
		}
		if q, err := b.store.PendingAuditForward(ctx, "hook", 10); err != nil || len(q) != 1 || q[0].Event.ID != "waiting" {
			t.Errorf("waiting rows: %+v, %v", q, err)
		}
	})
}
