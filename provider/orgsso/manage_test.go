package orgsso

import (
	"context"
	"errors"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// TestManageSettings: detaching the connector ends home-realm discovery,
// removing a domain frees it for another organization, and only an
// operator marks a domain verified without DNS; members change nothing.
func TestManageSettings(t *testing.T) {
	t.Parallel()
	s, st := newService(t, "")
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateOrg(ctx, storage.Organization{ID: "o1", Name: "Acme"}))
	must(st.CreateOrg(ctx, storage.Organization{ID: "o2", Name: "Other"}))
	must(st.CreateUser(ctx, storage.User{ID: "owner", Email: "owner@acme.test"}))
	must(st.CreateUser(ctx, storage.User{ID: "member", Email: "m@acme.test"}))
	must(st.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "owner", Role: accounts.RoleOwner}))
	must(st.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "member", Role: accounts.RoleMember}))
	owner, member := accounts.Actor{ID: "owner"}, accounts.Actor{ID: "member"}
	client := accounts.Actor{ID: accounts.ClientActor("admin-tool")}

	set, err := s.Settings(ctx, owner, "o1")
	if err != nil || set.Connector != nil || len(set.Domains) != 0 {
		t.Fatalf("empty settings: %+v %v", set, err)
	}
	if _, err := s.Settings(ctx, member, "o1"); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("a member read the settings: %v", err)
	}
	if _, err := s.Claim(ctx, owner, "o1", "acme.test", false); err != nil {
		t.Fatal(err)
	}
	must(s.Attach(ctx, owner, storage.OrgConnector{OrgID: "o1", ConnectorID: "corp", ForbidPassword: true}))

	if err := s.MarkVerified(ctx, owner, "o1", "acme.test"); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("an owner marked a domain verified: %v", err)
	}
	if err := s.MarkVerified(ctx, client, "o1", "nope.test"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("marked an unclaimed domain verified: %v", err)
	}
	must(s.MarkVerified(ctx, client, "o1", "ACME.test"))
	if f, err := s.PasswordForbidden(ctx, "ann@acme.test"); !f || err != nil {
		t.Fatalf("after MarkVerified PasswordForbidden = %v, %v", f, err)
	}
	set, err = s.Settings(ctx, client, "o1")
	if err != nil || set.Connector == nil || set.Connector.ConnectorID != "corp" || len(set.Domains) != 1 ||
		set.Domains[0].VerifiedAt.IsZero() {
		t.Fatalf("settings: %+v %v", set, err)
	}

	if err := s.Detach(ctx, member, "o1"); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("a member detached the connector: %v", err)
	}
	must(s.Detach(ctx, owner, "o1"))
	if _, ok, err := s.Discover(ctx, "ann@acme.test"); ok || err != nil {
		t.Fatalf("Discover after Detach: %v %v", ok, err)
	}
	if f, _ := s.PasswordForbidden(ctx, "ann@acme.test"); f {
		t.Fatal("passwords still forbidden after Detach")
	}
	if err := s.Detach(ctx, owner, "o1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second Detach: %v", err)
	}

	if _, err := s.Claim(ctx, client, "o2", "acme.test", false); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("claimed a domain another organization holds: %v", err)
	}
	if err := s.RemoveDomain(ctx, member, "o1", "acme.test"); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("a member removed a domain: %v", err)
	}
	if err := s.RemoveDomain(ctx, client, "o2", "acme.test"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("removed another organization's domain: %v", err)
	}
	must(s.RemoveDomain(ctx, owner, "o1", "acme.test"))
	if _, err := s.Claim(ctx, client, "o2", "acme.test", false); err != nil {
		t.Fatalf("claim after removal: %v", err)
	}
}
