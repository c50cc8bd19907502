package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var clientTests = []subTest{
	{"Clients/RoundTrip", testClientRoundTrip},
	{"Clients/ZeroValues", testClientZeroValues},
	{"Clients/Errors", testClientErrors},
	{"Clients/ListOrder", testClientList},
	{"Clients/Update", testClientUpdate},
	{"Clients/Delete", testClientDelete},
}

func testClientRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := fullClient("c1", base)
	must(t, "CreateClient", s.CreateClient(ctx, want))
	got, err := s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	equal(t, "GetClient", got, want)
}

func testClientZeroValues(t *testing.T, s storage.Store) {
	ctx := t.Context()
	// Empty slices go in; nil must come out. Zero times and durations stay zero.
	want := storage.Client{ID: "bare", RedirectURIs: []string{}, SecretHash: []byte{}}
	must(t, "CreateClient", s.CreateClient(ctx, want))
	got, err := s.GetClient(ctx, "bare")
	must(t, "GetClient", err)
	equal(t, "GetClient", got, storage.Client{ID: "bare"})
	wantNilEmpty(t, "GetClient", got)
	if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
		t.Errorf("zero times came back as %v / %v", got.CreatedAt, got.UpdatedAt)
	}
	list, err := s.ListClients(ctx)
	must(t, "ListClients", err)
	if len(list) != 1 {
		t.Fatalf("ListClients returned %d clients, want 1", len(list))
	}
	wantNilEmpty(t, "ListClients[0]", list[0])
}

func testClientErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	_, err := s.GetClient(ctx, "missing")
	wantErr(t, "GetClient(missing)", err, storage.ErrNotFound)
	must(t, "CreateClient", s.CreateClient(ctx, fullClient("c1", base)))
	other := fullClient("c1", at(time.Hour))
	other.Name = "someone else"
	wantErr(t, "CreateClient(taken id)", s.CreateClient(ctx, other), storage.ErrAlreadyExists)
	got, err := s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	equal(t, "client after a refused duplicate", got, fullClient("c1", base))

	err = s.UpdateClient(ctx, "missing", func(c storage.Client) (storage.Client, error) { return c, nil })
	wantErr(t, "UpdateClient(missing)", err, storage.ErrNotFound)
	wantErr(t, "DeleteClient(missing)", s.DeleteClient(ctx, "missing"), storage.ErrNotFound)
}

func testClientList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	list, err := s.ListClients(ctx)
	must(t, "ListClients(empty)", err)
	if len(list) != 0 {
		t.Fatalf("ListClients on an empty store returned %d clients", len(list))
	}
	// Inserted out of order; listed by creation time.
	for _, c := range []storage.Client{
		fullClient("b", at(2*time.Second)),
		fullClient("c", at(time.Second)),
		fullClient("a", at(3*time.Second)),
	} {
		must(t, "CreateClient "+c.ID, s.CreateClient(ctx, c))
	}
	list, err = s.ListClients(ctx)
	must(t, "ListClients", err)
	equal(t, "ListClients", list, []storage.Client{
		fullClient("c", at(time.Second)),
		fullClient("b", at(2*time.Second)),
		fullClient("a", at(3*time.Second)),
	})
}

func testClientUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	orig := fullClient("c1", base)
	must(t, "CreateClient", s.CreateClient(ctx, orig))

	// fn fails after changing its copy: nothing is written and the error
	// comes back as it was.
	err := s.UpdateClient(ctx, "c1", func(c storage.Client) (storage.Client, error) {
		c.Name = "changed"
		c.RedirectURIs = nil
		return c, errBoom
	})
	wantErr(t, "UpdateClient(fn error)", err, errBoom)
	got, err := s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	equal(t, "client after failed update", got, orig)

	want := orig
	want.Name = "renamed"
	want.SecretHash = nil
	want.Public = false
	want.RedirectURIs = []string{"https://new.example/cb"}
	want.CORSOrigins = nil
	want.JWKS = nil
	want.AccessTokenLifespan = 0
	want.RefreshTokenLifespan = 48 * time.Hour
	want.UpdatedAt = at(time.Hour)
	var seen storage.Client
	must(t, "UpdateClient", s.UpdateClient(ctx, "c1", func(c storage.Client) (storage.Client, error) {
		seen = c
		return want, nil
	}))
	equal(t, "UpdateClient fn input", seen, orig)
	got, err = s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	equal(t, "client after update", got, want)
}

func testClientDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "CreateClient c1", s.CreateClient(ctx, fullClient("c1", base)))
	must(t, "CreateClient c2", s.CreateClient(ctx, fullClient("c2", base)))
	must(t, "DeleteClient", s.DeleteClient(ctx, "c1"))
	_, err := s.GetClient(ctx, "c1")
	wantErr(t, "GetClient(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteClient(again)", s.DeleteClient(ctx, "c1"), storage.ErrNotFound)
	if _, err := s.GetClient(ctx, "c2"); err != nil {
		t.Errorf("deleting c1 affected c2: %v", err)
	}
	// The id is free again.
	must(t, "CreateClient(reused id)", s.CreateClient(ctx, fullClient("c1", base)))
}
