package pat_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// migrated is a fresh, migrated store of the backend named.
func migrated(t *testing.T, backend string) storage.Store {
	t.Helper()
	if backend != "postgres" {
		return sqlitetest.Open(t)
	}
	s, err := postgres.Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

var now = time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T, st storage.Store) (*pat.Service, string) {
	t.Helper()
	u := storage.User{ID: "u1", Email: "ada@example.com", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return &pat.Service{Store: st, Audit: st, Now: func() time.Time { return now }}, u.ID
}

var ada = accounts.Actor{ID: "u1", IP: "192.0.2.1"}

func create(s *pat.Service, userID, name string) (pat.Created, error) {
	return s.Create(context.Background(), ada, userID, pat.Request{Name: name, Scopes: []string{"openid"}, Expires: "30"})
}

// Parallel creates at the cap, on both backends: the count and the insert
// are one transaction, so exactly MaxTokens tokens remain and every other
// create is refused with ErrLimit (or lost a serialization race and says
// so), never stored.
func TestCreateAtTheCapIsRaceFree(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			st := migrated(t, backend)
			s, user := newService(t, st)
			const free, racers = 3, 12
			for i := range pat.MaxTokens - free {
				if _, err := create(s, user, "t"+string(rune('a'+i%26))); err != nil {
					t.Fatal(err)
				}
			}
			errs := make([]error, racers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range racers {
				wg.Go(func() {
					<-start
					_, errs[i] = create(s, user, "racer")
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, pat.ErrLimit), errors.Is(err, storage.ErrConflict):
				default:
					t.Errorf("create: %v", err)
				}
			}
			ts, err := s.List(t.Context(), user)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != pat.MaxTokens || won != free {
				t.Fatalf("%d tokens after %d racers won, want %d and %d", len(ts), won, pat.MaxTokens, free)
			}
			if _, err := create(s, user, "one more"); !errors.Is(err, pat.ErrLimit) || fault.KindOf(err) != fault.Conflict {
				t.Fatalf("create past the cap: %v, want ErrLimit", err)
			}
		})
	}
}

// Create records the sign-in's amr and the chosen lifetime and audits;
// Revoke removes the token, deactivates what was exchanged for it and
// audits, all or nothing; another user's token is not found.
func TestCreateAndRevoke(t *testing.T) {
	t.Parallel()
	st := migrated(t, "sqlite")
	s, user := newService(t, st)
	ctx := t.Context()
	c, err := s.Create(ctx, ada, user, pat.Request{Name: " ci ", Scopes: []string{"email", "openid"}, Expires: "7", AMR: []string{"pwd", "otp"}})
	if err != nil {
		t.Fatal(err)
	}
	if !pat.Looks(c.Token) || c.PAT.Name != "ci" || !c.PAT.ExpiresAt.Equal(now.Add(7*24*time.Hour)) ||
		len(c.PAT.AMR) != 2 || len(c.PAT.Scopes) != 2 || c.PAT.Scopes[0] != "openid" {
		t.Fatalf("created %+v", c.PAT)
	}
	if got, err := st.GetPATByHash(ctx, pat.Hash(c.Token), now); err != nil || got.ID != c.PAT.ID {
		t.Fatalf("stored: %+v %v", got, err)
	}
	for _, bad := range []pat.Request{
		{Name: "", Scopes: []string{"openid"}, Expires: "30"},
		{Name: "x", Scopes: []string{"offline_access"}, Expires: "30"},
		{Name: "x", Scopes: []string{"openid"}, Expires: "5"},
	} {
		if _, err := s.Create(ctx, ada, user, bad); !errors.Is(err, pat.ErrInvalid) || fault.Message(err, "") == "" {
			t.Errorf("Create(%+v) = %v, want ErrInvalid with a message", bad, err)
		}
	}
	tok := storage.TokenRecord{Signature: "sig", Kind: storage.KindAccessToken, RequestID: pat.RequestID(c.PAT.ID),
		ClientID: "cli", Subject: user, Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, accounts.Actor{ID: "mallory"}, "u2", c.PAT.ID); !errors.Is(err, storage.ErrNotFound) || fault.KindOf(err) != fault.NotFound {
		t.Fatalf("revoke another's token: %v", err)
	}
	n, err := s.Revoke(ctx, ada, user, c.PAT.ID)
	if err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if ts, _ := s.List(ctx, user); len(ts) != 0 {
		t.Fatalf("after revoke: %v", ts)
	}
	evs, err := st.ListAudit(ctx, storage.AuditFilter{SubjectID: user})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		if e.ActorID != ada.ID || e.IP != ada.IP {
			t.Errorf("event %s by %s at %s", e.Type, e.ActorID, e.IP)
		}
	}
	slices.Sort(types) // one instant: the store's order among them is arbitrary
	if !slices.Equal(types, []string{"pat.created", "pat.revoked"}) {
		t.Fatalf("audit: %v", types)
	}
}
