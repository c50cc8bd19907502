package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var orgTests = []subTest{
	{"Orgs/RoundTripAndErrors", testOrgBasics},
	{"Orgs/ListByName", testOrgList},
	{"Orgs/Update", testOrgUpdate},
	{"Orgs/DeleteCascades", testOrgDelete},
	{"Orgs/Memberships", testMemberships},
	{"Orgs/MembershipLists", testMembershipLists},
	{"Orgs/CustomRoles", testOrgRoles},
}

func testOrgRoles(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Globex", base)
	seedUser(t, s, "u1")
	roles, err := s.ListOrgRoles(ctx, "o1")
	must(t, "ListOrgRoles(none)", err)
	if len(roles) != 0 {
		t.Fatalf("ListOrgRoles on a new organization = %+v", roles)
	}
	wantErr(t, "CreateOrgRole(missing org)",
		s.CreateOrgRole(ctx, storage.OrgRole{OrgID: "nope", Name: "billing"}), storage.ErrNotFound)
	viewer := storage.OrgRole{OrgID: "o1", Name: "viewer", Description: "Reads reports", CreatedAt: at(time.Second)}
	billing := storage.OrgRole{OrgID: "o1", Name: "billing", CreatedAt: at(2 * time.Second)}
	must(t, "CreateOrgRole(viewer)", s.CreateOrgRole(ctx, viewer))
	must(t, "CreateOrgRole(billing)", s.CreateOrgRole(ctx, billing))
	must(t, "CreateOrgRole(other org, same name)", s.CreateOrgRole(ctx, storage.OrgRole{OrgID: "o2", Name: "viewer"}))
	wantErr(t, "CreateOrgRole(again)", s.CreateOrgRole(ctx, storage.OrgRole{OrgID: "o1", Name: "viewer"}), storage.ErrAlreadyExists)
	roles, err = s.ListOrgRoles(ctx, "o1")
	must(t, "ListOrgRoles", err)
	equal(t, "ListOrgRoles", roles, []storage.OrgRole{billing, viewer})

	// A held role cannot go; once nobody holds it, it can.
	must(t, "AddMembership", s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "u1", Role: "viewer", CreatedAt: base}))
	wantErr(t, "DeleteOrgRole(held)", s.DeleteOrgRole(ctx, "o1", "viewer"), storage.ErrConflict)
	must(t, "UpdateMembershipRole", s.UpdateMembershipRole(ctx, "o1", "u1", "member"))
	must(t, "DeleteOrgRole", s.DeleteOrgRole(ctx, "o1", "viewer"))
	wantErr(t, "DeleteOrgRole(again)", s.DeleteOrgRole(ctx, "o1", "viewer"), storage.ErrNotFound)
	roles, err = s.ListOrgRoles(ctx, "o1")
	must(t, "ListOrgRoles after delete", err)
	equal(t, "ListOrgRoles after delete", roles, []storage.OrgRole{billing})

	// Deleting the organization takes its roles along.
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	roles, err = s.ListOrgRoles(ctx, "o1")
	must(t, "ListOrgRoles(deleted org)", err)
	if len(roles) != 0 {
		t.Errorf("roles of a deleted organization = %+v", roles)
	}
}

func testOrgBasics(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := storage.Organization{ID: "o1", Name: "Acme", RequireMFA: true, RequirePasskey: true, CreatedAt: base, UpdatedAt: at(time.Second)}
	must(t, "CreateOrg", s.CreateOrg(ctx, want))
	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	equal(t, "GetOrg", got, want)

	_, err = s.GetOrg(ctx, "missing")
	wantErr(t, "GetOrg(missing)", err, storage.ErrNotFound)
	wantErr(t, "CreateOrg(taken id)", s.CreateOrg(ctx, storage.Organization{ID: "o1", Name: "Other"}), storage.ErrAlreadyExists)
	wantErr(t, "CreateOrg(taken name)", s.CreateOrg(ctx, storage.Organization{ID: "o2", Name: "Acme"}), storage.ErrAlreadyExists)
	if _, err := s.GetOrg(ctx, "o2"); err == nil {
		t.Error("refused CreateOrg left an organization behind")
	}
	err = s.UpdateOrg(ctx, "missing", func(o storage.Organization) (storage.Organization, error) { return o, nil })
	wantErr(t, "UpdateOrg(missing)", err, storage.ErrNotFound)
	wantErr(t, "DeleteOrg(missing)", s.DeleteOrg(ctx, "missing"), storage.ErrNotFound)

	bare := storage.Organization{ID: "o3", Name: "Bare"}
	must(t, "CreateOrg(bare)", s.CreateOrg(ctx, bare))
	got, err = s.GetOrg(ctx, "o3")
	must(t, "GetOrg(bare)", err)
	equal(t, "GetOrg(bare)", got, bare)
}

func testOrgList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	list, err := s.ListOrgs(ctx)
	must(t, "ListOrgs(empty)", err)
	if len(list) != 0 {
		t.Fatalf("ListOrgs on an empty store returned %d", len(list))
	}
	c := seedOrg(t, s, "1", "Charlie", at(time.Second))
	a := seedOrg(t, s, "2", "Alpha", at(3*time.Second))
	b := seedOrg(t, s, "3", "Bravo", at(2*time.Second))
	list, err = s.ListOrgs(ctx)
	must(t, "ListOrgs", err)
	equal(t, "ListOrgs", list, []storage.Organization{a, b, c})
}

func testOrgUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	orig := seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Globex", base)
	err := s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.Name = "Changed"
		return o, errBoom
	})
	wantErr(t, "UpdateOrg(fn error)", err, errBoom)
	err = s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.Name = "Globex"
		return o, nil
	})
	wantErr(t, "UpdateOrg(taken name)", err, storage.ErrAlreadyExists)
	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	equal(t, "org after refused updates", got, orig)

	want := orig
	want.Name = "Acme Corporation"
	want.UpdatedAt = at(time.Hour)
	var seen storage.Organization
	must(t, "UpdateOrg", s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		seen = o
		return want, nil
	}))
	equal(t, "UpdateOrg fn input", seen, orig)
	got, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	equal(t, "org after update", got, want)

	// Memberships show the new name.
	seedUser(t, s, "u1")
	must(t, "AddMembership", s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "u1", Role: "owner", CreatedAt: base}))
	m, err := s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	if m.OrgName != "Acme Corporation" {
		t.Errorf("GetMembership OrgName = %q, want the organization's current name", m.OrgName)
	}
}

func testOrgDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "gone", "Gone", base)
	seedOrg(t, s, "stays", "Stays", base)
	seedUser(t, s, "u1")
	for _, o := range []string{"gone", "stays"} {
		must(t, "AddMembership "+o, s.AddMembership(ctx, storage.Membership{OrgID: o, UserID: "u1", Role: "member", CreatedAt: base}))
	}
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "gone"))
	_, err := s.GetOrg(ctx, "gone")
	wantErr(t, "GetOrg(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteOrg(again)", s.DeleteOrg(ctx, "gone"), storage.ErrNotFound)
	_, err = s.GetMembership(ctx, "gone", "u1")
	wantErr(t, "membership in deleted org", err, storage.ErrNotFound)
	ms, err := s.ListMembershipsByUser(ctx, "u1")
	must(t, "ListMembershipsByUser", err)
	if len(ms) != 1 || ms[0].OrgID != "stays" {
		t.Errorf("memberships after DeleteOrg = %+v, want only stays", ms)
	}
	if _, err := s.GetUser(ctx, "u1"); err != nil {
		t.Errorf("user after DeleteOrg: %v", err)
	}
	// The name is free again.
	seedOrg(t, s, "new", "Gone", base)
}

func testMemberships(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedUser(t, s, "u1")
	m := storage.Membership{OrgID: "o1", UserID: "u1", Role: "admin", CreatedAt: at(time.Second)}

	wantErr(t, "AddMembership(missing org)",
		s.AddMembership(ctx, storage.Membership{OrgID: "nope", UserID: "u1", Role: "member"}), storage.ErrNotFound)
	wantErr(t, "AddMembership(missing user)",
		s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "nope", Role: "member"}), storage.ErrNotFound)
	_, err := s.GetMembership(ctx, "o1", "u1")
	wantErr(t, "GetMembership(missing)", err, storage.ErrNotFound)

	must(t, "AddMembership", s.AddMembership(ctx, m))
	wantErr(t, "AddMembership(again)",
		s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "u1", Role: "member"}), storage.ErrAlreadyExists)
	got, err := s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	want := m
	want.OrgName = "Acme"
	equal(t, "GetMembership", got, want)

	must(t, "UpdateMembershipRole", s.UpdateMembershipRole(ctx, "o1", "u1", "owner"))
	got, err = s.GetMembership(ctx, "o1", "u1")
	must(t, "GetMembership", err)
	want.Role = "owner"
	equal(t, "membership after role change", got, want)
	wantErr(t, "UpdateMembershipRole(missing)", s.UpdateMembershipRole(ctx, "o1", "nope", "owner"), storage.ErrNotFound)

	wantErr(t, "DeleteMembership(missing)", s.DeleteMembership(ctx, "o1", "nope"), storage.ErrNotFound)
	must(t, "DeleteMembership", s.DeleteMembership(ctx, "o1", "u1"))
	_, err = s.GetMembership(ctx, "o1", "u1")
	wantErr(t, "GetMembership(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteMembership(again)", s.DeleteMembership(ctx, "o1", "u1"), storage.ErrNotFound)
	for _, name := range []string{"user", "org"} {
		var err error
		if name == "user" {
			_, err = s.GetUser(ctx, "u1")
		} else {
			_, err = s.GetOrg(ctx, "o1")
		}
		if err != nil {
			t.Errorf("%s after DeleteMembership: %v", name, err)
		}
	}
}

func testMembershipLists(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "oz", "Zulu", base)
	seedOrg(t, s, "oa", "Alpha", base)
	seedOrg(t, s, "om", "Mike", base)
	for _, u := range []string{"u1", "u2", "u3"} {
		seedUser(t, s, u)
	}
	add := func(org, user, role string, created time.Time) {
		t.Helper()
		must(t, "AddMembership", s.AddMembership(ctx, storage.Membership{OrgID: org, UserID: user, Role: role, CreatedAt: created}))
	}
	add("oz", "u1", "owner", at(time.Second))
	add("oa", "u1", "member", at(2*time.Second))
	add("om", "u1", "admin", at(3*time.Second))
	add("oz", "u3", "member", at(-time.Second))
	add("oz", "u2", "admin", at(5*time.Second))

	byUser, err := s.ListMembershipsByUser(ctx, "u1")
	must(t, "ListMembershipsByUser", err)
	equal(t, "ListMembershipsByUser (by org name)", byUser, []storage.Membership{
		{OrgID: "oa", UserID: "u1", Role: "member", OrgName: "Alpha", CreatedAt: at(2 * time.Second)},
		{OrgID: "om", UserID: "u1", Role: "admin", OrgName: "Mike", CreatedAt: at(3 * time.Second)},
		{OrgID: "oz", UserID: "u1", Role: "owner", OrgName: "Zulu", CreatedAt: at(time.Second)},
	})
	byOrg, err := s.ListMembersByOrg(ctx, "oz")
	must(t, "ListMembersByOrg", err)
	equal(t, "ListMembersByOrg (by creation)", byOrg, []storage.Membership{
		{OrgID: "oz", UserID: "u3", Role: "member", OrgName: "Zulu", CreatedAt: at(-time.Second)},
		{OrgID: "oz", UserID: "u1", Role: "owner", OrgName: "Zulu", CreatedAt: at(time.Second)},
		{OrgID: "oz", UserID: "u2", Role: "admin", OrgName: "Zulu", CreatedAt: at(5 * time.Second)},
	})
	none, err := s.ListMembershipsByUser(ctx, "nobody")
	must(t, "ListMembershipsByUser(nobody)", err)
	if len(none) != 0 {
		t.Errorf("ListMembershipsByUser(nobody) = %+v", none)
	}
	none, err = s.ListMembersByOrg(ctx, "nowhere")
	must(t, "ListMembersByOrg(nowhere)", err)
	if len(none) != 0 {
		t.Errorf("ListMembersByOrg(nowhere) = %+v", none)
	}
}
