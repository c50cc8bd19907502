package provisioning

import (
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func newService(t *testing.T) (*Service, storage.Store, string) {
	t.Helper()
	st := sqlitetest.Open(t)
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	orgs := &accounts.Organizations{Store: st, Audit: st, Now: now}
	s := &Service{Store: st, Orgs: orgs, Users: &accounts.Users{Store: st, Audit: st, Now: now}, Audit: st, Now: now}
	o, err := orgs.Create(t.Context(), accounts.Actor{ID: accounts.SystemActor}, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return s, st, o.ID
}

// TestAuthenticate: only the organization's current token passes; no
// token, a wrong one, another organization's and a revoked one are all
// ErrUnauthorized. Members who are not owners or admins cannot make one.
func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s, st, org := newService(t)
	ctx := t.Context()
	op := accounts.Actor{ID: accounts.SystemActor}
	if err := s.Authenticate(ctx, org, "anything"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("no token yet: %v", err)
	}
	tok, err := s.CreateToken(ctx, op, org)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Authenticate(ctx, org, tok); err != nil {
		t.Errorf("the token: %v", err)
	}
	for _, bad := range []string{"", tok + "x", tok[:len(tok)-1]} {
		if err := s.Authenticate(ctx, org, bad); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	if err := s.Authenticate(ctx, "other", tok); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("another organization: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateUser(ctx, storage.User{ID: "m", Email: "m@example.com"}))
	must(st.AddMembership(ctx, storage.Membership{OrgID: org, UserID: "m", Role: accounts.RoleMember}))
	if _, err := s.CreateToken(ctx, accounts.Actor{ID: "m"}, org); !errors.Is(err, accounts.ErrForbidden) {
		t.Errorf("a member made a token: %v", err)
	}
	if _, err := s.CreateToken(ctx, Actor(org, ""), org); !errors.Is(err, accounts.ErrForbidden) {
		t.Errorf("the SCIM client made itself a token: %v", err)
	}
	must(s.RevokeToken(ctx, op, org))
	if err := s.Authenticate(ctx, org, tok); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("revoked: %v", err)
	}
	if err := s.RevokeToken(ctx, op, org); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoking again: %v", err)
	}
}

// TestInstanceAdminIsNeverDisabled: an instance administrator whom SCIM
// created (an operator made them admin later) loses only the membership
// when deactivated: SCIM never disables an administrator's account.
func TestInstanceAdminIsNeverDisabled(t *testing.T) {
	t.Parallel()
	s, st, org := newService(t)
	ctx := t.Context()
	actor := Actor(org, "")
	u, err := s.CreateUser(ctx, actor, org, UserInput{Email: "root@example.com", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if !u.Provisioned {
		t.Fatal("not provisioned")
	}
	if err := st.UpdateUser(ctx, u.ID, func(x storage.User) (storage.User, error) { x.Admin = true; return x, nil }); err != nil {
		t.Fatal(err)
	}
	in := UserInput{Email: "root@example.com", Active: false}
	if _, err := s.ReplaceUser(ctx, actor, org, u.ID, in); err != nil {
		t.Fatal(err)
	}
	acct, _ := st.GetUser(ctx, u.ID)
	if acct.Disabled {
		t.Error("SCIM disabled an instance administrator")
	}
	if _, err := st.GetMembership(ctx, org, u.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("membership after deactivation: %v", err)
	}
	if v, err := s.GetUser(ctx, org, u.ID); err != nil || v.Active {
		t.Errorf("deactivated admin reads %+v, %v", v, err)
	}
}
