package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var scimTests = []subTest{
	{"Scim/Token", testScimToken},
	{"Scim/Users", testScimUsers},
	{"Scim/Cascade", testScimCascade},
}

func testScimToken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	_, err := s.GetScimToken(ctx, "o1")
	wantErr(t, "GetScimToken(none)", err, storage.ErrNotFound)
	want := storage.ScimToken{OrgID: "o1", Hash: hashOf("one"), CreatedBy: "u1", CreatedAt: base}
	must(t, "PutScimToken", s.PutScimToken(ctx, want))
	got, err := s.GetScimToken(ctx, "o1")
	must(t, "GetScimToken", err)
	equal(t, "GetScimToken", got, want)
	// A new token replaces the old one.
	next := storage.ScimToken{OrgID: "o1", Hash: hashOf("two"), CreatedBy: "u2", CreatedAt: at(time.Hour)}
	must(t, "PutScimToken(replace)", s.PutScimToken(ctx, next))
	got, err = s.GetScimToken(ctx, "o1")
	must(t, "GetScimToken(replaced)", err)
	equal(t, "GetScimToken(replaced)", got, next)
	wantErr(t, "PutScimToken(unknown org)", s.PutScimToken(ctx, storage.ScimToken{OrgID: "nope", Hash: hashOf("x")}), storage.ErrNotFound)
	must(t, "DeleteScimToken", s.DeleteScimToken(ctx, "o1"))
	wantErr(t, "DeleteScimToken(again)", s.DeleteScimToken(ctx, "o1"), storage.ErrNotFound)
}

func testScimUsers(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Beta", base)
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	a := storage.ScimUser{OrgID: "o1", UserID: "u1", ExternalID: "ext-1", GivenName: "Ada", FamilyName: "Lovelace",
		Emails:      []storage.ScimEmail{{Value: "ada@example.com", Type: "work", Primary: true}, {Value: "a@home.example"}},
		Provisioned: true, Active: true, Role: "member", CreatedAt: base, UpdatedAt: base}
	b := storage.ScimUser{OrgID: "o1", UserID: "u2", Active: true, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)}
	c := storage.ScimUser{OrgID: "o2", UserID: "u1", CreatedAt: base, UpdatedAt: base}
	for _, u := range []storage.ScimUser{b, a, c} {
		must(t, "CreateScimUser", s.CreateScimUser(ctx, u))
	}
	wantErr(t, "CreateScimUser(again)", s.CreateScimUser(ctx, a), storage.ErrAlreadyExists)
	wantErr(t, "CreateScimUser(unknown org)", s.CreateScimUser(ctx, storage.ScimUser{OrgID: "nope", UserID: "u1"}), storage.ErrNotFound)
	wantErr(t, "CreateScimUser(unknown user)", s.CreateScimUser(ctx, storage.ScimUser{OrgID: "o1", UserID: "nope"}), storage.ErrNotFound)
	// A refusal inside a transaction leaves it usable (PostgreSQL aborts a
	// transaction on a constraint error).
	must(t, "InTx(refused create, then read)", s.InTx(ctx, func(ctx context.Context) error {
		if err := s.CreateScimUser(ctx, a); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Errorf("CreateScimUser(again, in tx) = %v", err)
		}
		_, err := s.GetScimUser(ctx, "o1", "u1")
		return err
	}))
	got, err := s.GetScimUser(ctx, "o1", "u1")
	must(t, "GetScimUser", err)
	equal(t, "GetScimUser", got, a)
	_, err = s.GetScimUser(ctx, "o2", "u2")
	wantErr(t, "GetScimUser(none)", err, storage.ErrNotFound)
	list, err := s.ListScimUsers(ctx, "o1")
	must(t, "ListScimUsers", err)
	equal(t, "ListScimUsers", list, []storage.ScimUser{a, b})
	byUser, err := s.ListScimUsersByUser(ctx, "u1")
	must(t, "ListScimUsersByUser", err)
	equal(t, "ListScimUsersByUser", byUser, []storage.ScimUser{a, c})
	list, err = s.ListScimUsers(ctx, "nope")
	must(t, "ListScimUsers(unknown)", err)
	if len(list) != 0 {
		t.Errorf("ListScimUsers(unknown) = %v", list)
	}

	must(t, "UpdateScimUser", s.UpdateScimUser(ctx, "o1", "u1", func(u storage.ScimUser) (storage.ScimUser, error) {
		u.Active, u.GivenName, u.Role, u.UpdatedAt = false, "Augusta", "admin", at(time.Hour)
		u.Emails = u.Emails[:1]
		u.OrgID, u.UserID = "o2", "u2" // ignored: the keys stay
		return u, nil
	}))
	a.Active, a.GivenName, a.Role, a.UpdatedAt = false, "Augusta", "admin", at(time.Hour)
	a.Emails = a.Emails[:1]
	got, err = s.GetScimUser(ctx, "o1", "u1")
	must(t, "GetScimUser(updated)", err)
	equal(t, "GetScimUser(updated)", got, a)
	boom := errors.New("boom")
	wantErr(t, "UpdateScimUser(fn fails)", s.UpdateScimUser(ctx, "o1", "u1", func(u storage.ScimUser) (storage.ScimUser, error) {
		return u, boom
	}), boom)
	wantErr(t, "UpdateScimUser(none)", s.UpdateScimUser(ctx, "o2", "u2", func(u storage.ScimUser) (storage.ScimUser, error) {
		return u, nil
	}), storage.ErrNotFound)
	must(t, "DeleteScimUser", s.DeleteScimUser(ctx, "o1", "u1"))
	wantErr(t, "DeleteScimUser(again)", s.DeleteScimUser(ctx, "o1", "u1"), storage.ErrNotFound)
}

func testScimCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Beta", base)
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	must(t, "PutScimToken", s.PutScimToken(ctx, storage.ScimToken{OrgID: "o1", Hash: hashOf("one"), CreatedAt: base}))
	must(t, "CreateScimUser", s.CreateScimUser(ctx, storage.ScimUser{OrgID: "o1", UserID: "u1", CreatedAt: base}))
	must(t, "CreateScimUser", s.CreateScimUser(ctx, storage.ScimUser{OrgID: "o2", UserID: "u2", CreatedAt: base}))
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	_, err := s.GetScimToken(ctx, "o1")
	wantErr(t, "GetScimToken(org deleted)", err, storage.ErrNotFound)
	_, err = s.GetScimUser(ctx, "o1", "u1")
	wantErr(t, "GetScimUser(org deleted)", err, storage.ErrNotFound)
	must(t, "DeleteUser", s.DeleteUser(ctx, "u2"))
	_, err = s.GetScimUser(ctx, "o2", "u2")
	wantErr(t, "GetScimUser(user deleted)", err, storage.ErrNotFound)
}
