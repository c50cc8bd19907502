package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// Attributes (#17): the JSON objects on users, organizations and
// memberships. JSON numbers come back as float64 (encoding/json's default),
// the same from both backends.
var attributeTests = []subTest{
	{"Attributes/Users", testUserAttributes},
	{"Attributes/Orgs", testOrgAttributes},
	{"Attributes/Memberships", testMembershipAttributes},
}

func sampleAttributes() map[string]any {
	return map[string]any{
		"department": "Engineering",
		"level":      float64(3),
		"remote":     true,
		"tags":       []any{"a", "b"},
		"manager":    map[string]any{"id": "u9", "since": float64(2020)},
		"none":       nil,
	}
}

func testUserAttributes(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := fullUser("u1", "ada@example.com", base)
	want.Attributes = sampleAttributes()
	must(t, "CreateUser", s.CreateUser(ctx, want))
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	equal(t, "GetUser", got, want)
	got, err = s.GetUserByEmail(ctx, "ADA@example.com")
	must(t, "GetUserByEmail", err)
	equal(t, "GetUserByEmail", got, want)
	list, err := s.ListUsers(ctx)
	must(t, "ListUsers", err)
	if len(list) != 1 {
		t.Fatalf("ListUsers = %d users, want 1", len(list))
	}
	equal(t, "ListUsers", list[0], want)

	// A refused update changes nothing.
	err = s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		u.Attributes = map[string]any{"x": "y"}
		return u, errBoom
	})
	wantErr(t, "UpdateUser(fn error)", err, errBoom)
	got, err = s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	equal(t, "user after refused update", got, want)

	// The updater sees the stored attributes and replaces them.
	var seen map[string]any
	must(t, "UpdateUser", s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		seen = u.Attributes
		u.Attributes = map[string]any{"department": "Sales"}
		u.UpdatedAt = at(time.Hour)
		return u, nil
	}))
	equal(t, "UpdateUser fn input", seen, want.Attributes)
	got, err = s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	want.Attributes = map[string]any{"department": "Sales"}
	want.UpdatedAt = at(time.Hour)
	equal(t, "user after update", got, want)

	// Empty clears: nil reads back, and other updates keep the attributes.
	must(t, "UpdateUser(clear)", s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		u.Attributes = map[string]any{}
		return u, nil
	}))
	got, err = s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	if got.Attributes != nil {
		t.Errorf("attributes after clearing = %#v, want nil", got.Attributes)
	}
}

func testOrgAttributes(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := storage.Organization{ID: "o1", Name: "Acme", Attributes: sampleAttributes(), CreatedAt: base, UpdatedAt: base}
	must(t, "CreateOrg", s.CreateOrg(ctx, want))
	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	equal(t, "GetOrg", got, want)
	list, err := s.ListOrgs(ctx)
	must(t, "ListOrgs", err)
	if len(list) != 1 {
		t.Fatalf("ListOrgs = %d, want 1", len(list))
	}
	equal(t, "ListOrgs", list[0], want)

	err = s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.Attributes = nil
		return o, errBoom
	})
	wantErr(t, "UpdateOrg(fn error)", err, errBoom)
	got, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	equal(t, "org after refused update", got, want)

	must(t, "UpdateOrg", s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.Attributes = map[string]any{"plan": "enterprise"}
		return o, nil
	}))
	got, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	want.Attributes = map[string]any{"plan": "enterprise"}
	equal(t, "org after update", got, want)

	must(t, "UpdateOrg(clear)", s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.Attributes = nil
		return o, nil
	}))
	got, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	if got.Attributes != nil {
		t.Errorf("attributes after clearing = %#v, want nil", got.Attributes)
	}
}

func testMembershipAttributes(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	m := storage.Membership{OrgID: "o1", UserID: "u1", Role: "admin", Attributes: sampleAttributes(), CreatedAt: base}
	must(t, "AddMembership", s.AddMembership(ctx, m))
	must(t, "AddMembership(bare)", s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "u2", Role: "member", CreatedAt: at(time.Second)}))
	want := m
	want.OrgName = "Acme"
	got, err := s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	equal(t, "GetMembership", got, want)
	byUser, err := s.ListMembershipsByUser(ctx, "u1")
	must(t, "ListMembershipsByUser", err)
	if len(byUser) != 1 {
		t.Fatalf("ListMembershipsByUser = %d, want 1", len(byUser))
	}
	equal(t, "ListMembershipsByUser", byUser[0], want)
	byOrg, err := s.ListMembersByOrg(ctx, "o1")
	must(t, "ListMembersByOrg", err)
	if len(byOrg) != 2 || byOrg[1].Attributes != nil {
		t.Fatalf("ListMembersByOrg = %+v, want two with the second bare", byOrg)
	}
	equal(t, "ListMembersByOrg", byOrg[0], want)

	// A role change keeps the attributes.
	must(t, "UpdateMembershipRole", s.UpdateMembershipRole(ctx, "o1", "u1", "owner"))
	want.Role = "owner"
	got, err = s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	equal(t, "membership after role change", got, want)

	wantErr(t, "UpdateMembership(missing)", s.UpdateMembership(ctx, "o1", "nope",
		func(m storage.Membership) (storage.Membership, error) { return m, nil }), storage.ErrNotFound)
	err = s.UpdateMembership(ctx, "o1", "u1", func(m storage.Membership) (storage.Membership, error) {
		m.Attributes = nil
		return m, errBoom
	})
	wantErr(t, "UpdateMembership(fn error)", err, errBoom)
	got, err = s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	equal(t, "membership after refused update", got, want)

	var seen storage.Membership
	must(t, "UpdateMembership", s.UpdateMembership(ctx, "o1", "u1", func(m storage.Membership) (storage.Membership, error) {
		seen = m
		m.Attributes = map[string]any{"cost_center": "42"}
		m.Role = "member"
		return m, nil
	}))
	equal(t, "UpdateMembership fn input", seen, want)
	want.Attributes = map[string]any{"cost_center": "42"}
	want.Role = "member"
	got, err = s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	equal(t, "membership after update", got, want)
	other, err := s.GetMembership(ctx, "o1", "u2")
	must(t, "GetMembership(u2)", err)
	if other.Attributes != nil || other.Role != "member" {
		t.Errorf("other membership changed: %+v", other)
	}
}
