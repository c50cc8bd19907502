package accounts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

type orgFixture struct {
	t     *testing.T
	store *sqlite.Store
	orgs  *Organizations
	svc   *Users
	now   time.Time
}

func newOrgFixture(t *testing.T) *orgFixture {
	t.Helper()
	s := sqlitetest.Open(t)
	f := &orgFixture{t: t, store: s, now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.orgs = &Organizations{Store: s, Audit: s, Now: clock}
	f.svc = &Users{Store: s, Now: clock}
	return f
}

func (f *orgFixture) user(email string) string {
	f.t.Helper()
	u, err := f.svc.CreateUser(f.t.Context(), NewUser{Email: email, Password: "a long enough password"})
	if err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

func (f *orgFixture) role(orgID, userID string) string {
	f.t.Helper()
	m, err := f.store.GetMembership(f.t.Context(), orgID, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return ""
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return m.Role
}

func mustDo(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s = %v, want %v", what, err, target)
	}
}

func TestCreatorOwnsTheOrganization(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada := f.user("ada@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "  Analytical Engines ")
	mustDo(t, "Create", err)
	if org.Name != "Analytical Engines" || f.role(org.ID, ada) != RoleOwner {
		t.Fatalf("org %+v, creator role %q", org, f.role(org.ID, ada))
	}
	_, err = f.orgs.Create(ctx, Actor{ID: ada}, "Analytical Engines")
	wantIs(t, "Create(taken name)", err, storage.ErrAlreadyExists)
	_, err = f.orgs.Create(ctx, Actor{ID: ada}, " ")
	wantIs(t, "Create(blank)", err, ErrInvalid)
	// A refused creation leaves no organization behind.
	_, err = f.orgs.Create(ctx, Actor{ID: "no-such-user"}, "Orphan")
	if err == nil {
		t.Fatal("Create with an unknown creator succeeded")
	}
	orgs, _ := f.store.ListOrgs(ctx)
	if len(orgs) != 1 {
		t.Errorf("organizations after a refused create = %d, want 1", len(orgs))
	}
}

func TestRolePermissions(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	owner, admin, member, outsider := f.user("o@example.com"), f.user("a@example.com"), f.user("m@example.com"), f.user("x@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: owner}, "Acme")
	mustDo(t, "Create", err)
	mustDo(t, "add admin", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: admin, Role: RoleAdmin}))
	mustDo(t, "add member", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: member, Role: RoleMember}))

	wantIs(t, "member renames", f.orgs.Rename(ctx, Actor{ID: member}, org.ID, "Mine"), ErrForbidden)
	wantIs(t, "outsider renames", f.orgs.Rename(ctx, Actor{ID: outsider}, org.ID, "Mine"), ErrForbidden)
	mustDo(t, "admin renames", f.orgs.Rename(ctx, Actor{ID: admin}, org.ID, "Acme Ltd"))

	wantIs(t, "admin makes an owner", f.orgs.SetRole(ctx, Actor{ID: admin}, org.ID, member, RoleOwner), ErrForbidden)
	wantIs(t, "admin demotes the owner", f.orgs.SetRole(ctx, Actor{ID: admin}, org.ID, owner, RoleMember), ErrForbidden)
	wantIs(t, "admin removes the owner", f.orgs.RemoveMember(ctx, Actor{ID: admin}, org.ID, owner), ErrForbidden)
	wantIs(t, "member changes a role", f.orgs.SetRole(ctx, Actor{ID: member}, org.ID, admin, RoleMember), ErrForbidden)
	wantIs(t, "unknown role", f.orgs.SetRole(ctx, Actor{ID: owner}, org.ID, member, "wizard"), ErrInvalid)

	mustDo(t, "admin defines a role", f.orgs.DefineRole(ctx, Actor{ID: admin}, org.ID, "billing", "Sees invoices"))
	wantIs(t, "member defines a role", f.orgs.DefineRole(ctx, Actor{ID: member}, org.ID, "viewer", ""), ErrForbidden)
	wantIs(t, "built-in name", f.orgs.DefineRole(ctx, Actor{ID: admin}, org.ID, "owner", ""), storage.ErrAlreadyExists)
	wantIs(t, "bad name", f.orgs.DefineRole(ctx, Actor{ID: admin}, org.ID, "Bad Name", ""), ErrInvalid)
	mustDo(t, "admin gives a custom role", f.orgs.SetRole(ctx, Actor{ID: admin}, org.ID, member, "billing"))
	if got := f.role(org.ID, member); got != "billing" {
		t.Errorf("role after SetRole = %q", got)
	}
	wantIs(t, "delete a held role", f.orgs.DeleteRole(ctx, Actor{ID: admin}, org.ID, "billing"), storage.ErrConflict)
	roles, err := f.orgs.Roles(ctx, org.ID)
	mustDo(t, "Roles", err)
	if len(roles) != 4 || roles[3].Name != "billing" || roles[3].BuiltIn {
		t.Errorf("Roles = %+v", roles)
	}

	wantIs(t, "member deletes", f.orgs.Delete(ctx, Actor{ID: member}, org.ID, "Acme Ltd"), ErrForbidden)
	wantIs(t, "admin deletes", f.orgs.Delete(ctx, Actor{ID: admin}, org.ID, "Acme Ltd"), ErrForbidden)
	wantIs(t, "owner deletes without the name", f.orgs.Delete(ctx, Actor{ID: owner}, org.ID, "acme ltd"), ErrInvalid)
	mustDo(t, "owner deletes", f.orgs.Delete(ctx, Actor{ID: owner}, org.ID, "Acme Ltd"))
	if _, err := f.store.GetOrg(ctx, org.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetOrg after Delete = %v", err)
	}
}

func TestInstanceAdminActsAsOwner(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	owner := f.user("o@example.com")
	u, err := f.svc.CreateUser(ctx, NewUser{Email: "root@example.com", Password: "a long enough password", Admin: true})
	mustDo(t, "CreateUser", err)
	org, err := f.orgs.Create(ctx, Actor{ID: owner}, "Acme")
	mustDo(t, "Create", err)
	mustDo(t, "instance admin renames", f.orgs.Rename(ctx, Actor{ID: u.ID}, org.ID, "Acme 2"))
	wantIs(t, "unknown org", f.orgs.Rename(ctx, Actor{ID: u.ID}, "nope", "X"), storage.ErrNotFound)
}

func TestLastOwnerStays(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada, bob := f.user("ada@example.com"), f.user("bob@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "Acme")
	mustDo(t, "Create", err)
	wantIs(t, "last owner leaves", f.orgs.RemoveMember(ctx, Actor{ID: ada}, org.ID, ada), ErrLastOwner)
	wantIs(t, "last owner steps down", f.orgs.SetRole(ctx, Actor{ID: ada}, org.ID, ada, RoleMember), ErrLastOwner)

	mustDo(t, "add bob", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: bob, Role: RoleMember}))
	mustDo(t, "bob leaves", f.orgs.RemoveMember(ctx, Actor{ID: bob}, org.ID, bob))
	mustDo(t, "add bob again", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: bob, Role: RoleOwner}))
	mustDo(t, "ada steps down with bob an owner", f.orgs.SetRole(ctx, Actor{ID: ada}, org.ID, ada, RoleMember))
	wantIs(t, "bob, now last, leaves", f.orgs.RemoveMember(ctx, Actor{ID: bob}, org.ID, bob), ErrLastOwner)
}

// TestOwnersDemotingEachOtherKeepOne: two owners each demote the other at
// the same moment; the serializable check leaves exactly one owner.
func TestOwnersDemotingEachOtherKeepOne(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada, bob := f.user("ada@example.com"), f.user("bob@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "Acme")
	mustDo(t, "Create", err)
	mustDo(t, "add bob", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: bob, Role: RoleOwner}))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pair := range [][2]string{{ada, bob}, {bob, ada}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.orgs.SetRole(ctx, Actor{ID: pair[0]}, org.ID, pair[1], RoleMember)
		}()
	}
	wg.Wait()
	owners := 0
	for _, u := range []string{ada, bob} {
		if f.role(org.ID, u) == RoleOwner {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("owners after two crossed demotions = %d (errors %v), want 1", owners, errs)
	}
}

func TestRemovalEndsTokensForThatOrganization(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada, bob := f.user("ada@example.com"), f.user("bob@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "Acme")
	mustDo(t, "Create", err)
	other, err := f.orgs.Create(ctx, Actor{ID: bob}, "Globex")
	mustDo(t, "Create other", err)
	mustDo(t, "add bob", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: bob, Role: RoleMember}))
	tok := func(sig, orgID string) {
		mustDo(t, "CreateToken", f.store.CreateToken(ctx, storage.TokenRecord{
			Kind: storage.KindRefreshToken, Signature: sig, RequestID: "r-" + sig, Subject: bob, OrgID: orgID,
			Active: true, RequestedAt: f.now, ExpiresAt: f.now.Add(time.Hour),
		}))
	}
	tok("in-acme", org.ID)
	tok("in-globex", other.ID)
	sess := storage.Session{ID: "s1", TokenHash: []byte("h1"), UserID: bob, OrgID: org.ID, AuthTime: f.now,
		CreatedAt: f.now, LastSeen: f.now, ExpiresAt: f.now.Add(time.Hour)}
	mustDo(t, "CreateSession", f.store.CreateSession(ctx, sess))

	mustDo(t, "RemoveMember", f.orgs.RemoveMember(ctx, Actor{ID: ada}, org.ID, bob))
	active := func(sig string) bool {
		r, err := f.store.GetToken(ctx, storage.KindRefreshToken, sig)
		mustDo(t, "GetToken", err)
		return r.Active
	}
	if active("in-acme") || !active("in-globex") {
		t.Errorf("after removal: acme token active=%v (want false), globex token active=%v (want true)",
			active("in-acme"), active("in-globex"))
	}
	s, err := f.store.GetSession(ctx, "s1", f.now)
	mustDo(t, "GetSession", err)
	if s.OrgID != "" {
		t.Errorf("session still has the organization %q active", s.OrgID)
	}
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada, mem := f.user("ada@example.com"), f.user("mem@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "Acme")
	mustDo(t, "Create", err)
	mustDo(t, "add member", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: mem, Role: RoleMember}))

	_, _, err = f.orgs.Invite(ctx, Actor{ID: mem}, org.ID, "new@example.com", RoleMember)
	wantIs(t, "member invites", err, ErrForbidden)
	_, _, err = f.orgs.Invite(ctx, Actor{ID: ada}, org.ID, "mem@example.com", RoleMember)
	wantIs(t, "invite a member", err, storage.ErrAlreadyExists)
	_, _, err = f.orgs.Invite(ctx, Actor{ID: ada}, org.ID, "not an address", RoleMember)
	wantIs(t, "invite a bad address", err, ErrInvalid)

	first, _, err := f.orgs.Invite(ctx, Actor{ID: ada}, org.ID, "New@Example.com", RoleAdmin)
	mustDo(t, "Invite", err)
	secret, inv, err := f.orgs.Invite(ctx, Actor{ID: ada}, org.ID, "new@example.com", RoleAdmin)
	mustDo(t, "Invite again", err)
	if inv.Email != "new@example.com" || inv.OrgName != "Acme" || inv.Role != RoleAdmin {
		t.Errorf("invitation = %+v", inv)
	}
	// The newer link replaces the older.
	_, err = f.orgs.Invitation(ctx, org.ID, first)
	wantIs(t, "replaced invitation", err, ErrInvitationGone)
	got, err := f.orgs.Invitation(ctx, org.ID, secret)
	mustDo(t, "Invitation", err)
	if got != inv {
		t.Errorf("Invitation = %+v, want %+v", got, inv)
	}
	_, err = f.orgs.Invitation(ctx, "other-org", secret)
	wantIs(t, "link for another org", err, ErrInvitationGone)

	// Someone else signed in cannot use it, and that does not use it up.
	_, err = f.orgs.Accept(ctx, Actor{ID: mem}, org.ID, secret)
	wantIs(t, "accept as someone else", err, ErrForbidden)
	newbie := f.user("new@example.com")
	got, err = f.orgs.Accept(ctx, Actor{ID: newbie}, org.ID, secret)
	mustDo(t, "Accept", err)
	if f.role(org.ID, newbie) != RoleAdmin || got.Role != RoleAdmin {
		t.Errorf("role after accept = %q (%+v)", f.role(org.ID, newbie), got)
	}
	_, err = f.orgs.Accept(ctx, Actor{ID: newbie}, org.ID, secret)
	wantIs(t, "accept twice", err, ErrInvitationGone)

	f.now = f.now.Add(time.Minute)
	late, _, err := f.orgs.Invite(ctx, Actor{ID: ada}, org.ID, "late@example.com", RoleMember)
	mustDo(t, "Invite late", err)
	f.now = f.now.Add(InvitationLifetime + time.Second)
	_, err = f.orgs.Invitation(ctx, org.ID, late)
	wantIs(t, "expired invitation", err, ErrInvitationGone)
}

func TestInvitationOfAnOwnerNeedsAnOwner(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := context.Background()
	ada, adm := f.user("ada@example.com"), f.user("adm@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "Acme")
	mustDo(t, "Create", err)
	mustDo(t, "add admin", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: adm, Role: RoleAdmin}))
	_, _, err = f.orgs.Invite(ctx, Actor{ID: adm}, org.ID, "boss@example.com", RoleOwner)
	wantIs(t, "admin invites an owner", err, ErrForbidden)
	_, _, err = f.orgs.Invite(ctx, Actor{ID: ada}, org.ID, "boss@example.com", RoleOwner)
	mustDo(t, "owner invites an owner", err)
}
