package accounts

import (
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

func (f *orgFixture) people(n LogoutNotifier) *Users {
	return &Users{Store: f.store, Audit: f.store, Notifier: n, Now: func() time.Time { return f.now }}
}

func (f *orgFixture) session(id, userID string) {
	f.t.Helper()
	mustDo(f.t, "CreateSession", f.store.CreateSession(f.t.Context(), storage.Session{ID: id, TokenHash: []byte("h-" + id),
		UserID: userID, AuthTime: f.now, CreatedAt: f.now, LastSeen: f.now, ExpiresAt: f.now.Add(time.Hour)}))
}

func (f *orgFixture) refresh(sig, userID string) {
	f.t.Helper()
	mustDo(f.t, "CreateToken", f.store.CreateToken(f.t.Context(), storage.TokenRecord{Kind: storage.KindRefreshToken,
		Signature: sig, RequestID: "r-" + sig, Subject: userID, Active: true, RequestedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}))
}

func (f *orgFixture) active(sig string) bool {
	f.t.Helper()
	r, err := f.store.GetToken(f.t.Context(), storage.KindRefreshToken, sig)
	mustDo(f.t, "GetToken", err)
	return r.Active
}

func (f *orgFixture) auditCount(typ string) int {
	f.t.Helper()
	evs, err := f.store.ListAudit(f.t.Context(), storage.AuditFilter{Type: typ})
	mustDo(f.t, "ListAudit", err)
	return len(evs)
}

func TestDisableEndsEverythingAtOnce(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada, bob := f.user("ada@example.com"), f.user("bob@example.com")
	f.session("s1", ada)
	f.session("s2", ada)
	f.session("s3", bob)
	f.refresh("ada-rt", ada)
	f.refresh("bob-rt", bob)
	n := &endedSessions{}
	p := f.people(n)
	mustDo(t, "Disable", p.Disable(ctx, Actor{ID: SystemActor}, ada))
	u, _ := f.store.GetUser(ctx, ada)
	if !u.Disabled {
		t.Fatal("user not disabled")
	}
	if _, err := f.store.GetSession(ctx, "s1", f.now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("session s1 after disable: %v", err)
	}
	if _, err := f.store.GetSession(ctx, "s3", f.now); err != nil {
		t.Errorf("someone else's session went: %v", err)
	}
	if f.active("ada-rt") || !f.active("bob-rt") {
		t.Errorf("refresh tokens: ada active=%v bob active=%v", f.active("ada-rt"), f.active("bob-rt"))
	}
	if len(n.ended) != 2 {
		t.Errorf("back-channel notifications = %v, want both of ada's sessions", n.ended)
	}
	if f.auditCount("user.disabled") != 1 {
		t.Error("no user.disabled audit event")
	}
	mustDo(t, "Enable", p.Enable(ctx, Actor{ID: SystemActor}, ada))
	if u, _ := f.store.GetUser(ctx, ada); u.Disabled {
		t.Error("user still disabled")
	}
	if err := p.Disable(ctx, Actor{}, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Disable(unknown) = %v", err)
	}
}

func TestEndSessionsKeepsTheCurrentOne(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada := f.user("ada@example.com")
	f.session("here", ada)
	f.session("there", ada)
	f.refresh("rt", ada)
	n, err := f.people(nil).EndSessions(ctx, Actor{ID: ada}, ada, "here")
	mustDo(t, "EndSessions", err)
	if n != 1 {
		t.Errorf("ended %d sessions, want 1", n)
	}
	if _, err := f.store.GetSession(ctx, "here", f.now); err != nil {
		t.Errorf("current session: %v", err)
	}
	if f.active("rt") {
		t.Error("refresh token still active")
	}
	if f.auditCount("user.sessions_ended") != 1 {
		t.Error("no user.sessions_ended audit event")
	}
}

func TestDeleteRemovesThePersonKeepsTheAudit(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada, bob := f.user("ada@example.com"), f.user("bob@example.com")
	org, err := f.orgs.Create(ctx, Actor{ID: ada}, "Acme")
	mustDo(t, "Create", err)
	solo, err := f.orgs.Create(ctx, Actor{ID: ada}, "Solo")
	mustDo(t, "Create solo", err)
	mustDo(t, "add bob", f.store.AddMembership(ctx, storage.Membership{OrgID: org.ID, UserID: bob, Role: RoleMember}))
	f.session("s1", ada)
	f.refresh("rt", ada)
	p := f.people(nil)

	// Ada is Acme's only owner and Bob would be left without one.
	err = p.Delete(ctx, Actor{ID: ada}, ada)
	if !errors.Is(err, ErrLastOwner) {
		t.Fatalf("Delete(sole owner) = %v, want ErrLastOwner", err)
	}
	if _, err := f.store.GetUser(ctx, ada); err != nil {
		t.Fatalf("a refused delete removed the user: %v", err)
	}
	if !f.active("rt") {
		t.Fatal("a refused delete ended tokens")
	}
	mustDo(t, "SetRole", f.orgs.SetRole(ctx, Actor{ID: ada}, org.ID, bob, RoleOwner))
	mustDo(t, "Delete", p.Delete(ctx, Actor{ID: SystemActor, IP: "192.0.2.1"}, ada))
	if _, err := f.store.GetUser(ctx, ada); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetUser after delete = %v", err)
	}
	if _, err := f.store.GetUserByEmail(ctx, "ada@example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the address still finds someone: %v", err)
	}
	// Its record goes too: it held her claims.
	if _, err := f.store.GetToken(ctx, storage.KindRefreshToken, "rt"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("refresh token record after delete: %v, want ErrNotFound", err)
	}
	evs, err := f.store.ListAudit(ctx, storage.AuditFilter{Type: "user.deleted"})
	mustDo(t, "ListAudit", err)
	if len(evs) != 1 || evs[0].SubjectID != ada || evs[0].ActorID != SystemActor || evs[0].Time.IsZero() {
		t.Fatalf("deletion audit = %+v", evs)
	}
	// Solo (no other members) is left with no members; Acme keeps Bob.
	if ms, _ := f.store.ListMembersByOrg(ctx, org.ID); len(ms) != 1 || ms[0].UserID != bob {
		t.Errorf("Acme members = %+v", ms)
	}
	if ms, _ := f.store.ListMembersByOrg(ctx, solo.ID); len(ms) != 0 {
		t.Errorf("Solo members = %+v, want none", ms)
	}
}

// An operator's address correction is normalized, confirmed only when
// asked, audited with the change; a taken or malformed address changes
// nothing.
func TestSetEmail(t *testing.T) {
	t.Parallel()
	f := newOrgFixture(t)
	ctx := t.Context()
	ada := f.user("ada@example.com")
	f.user("bob@example.com")
	p := f.people(nil)
	addr, err := p.SetEmail(ctx, Actor{ID: SystemActor}, ada, "  Ada.Lovelace@Example.COM ", true)
	mustDo(t, "SetEmail", err)
	u, _ := f.store.GetUser(ctx, ada)
	if addr != "ada.lovelace@example.com" || u.Email != addr || !u.EmailVerified || f.auditCount("user.email_changed") != 1 {
		t.Fatalf("after SetEmail: returned %q, user %q verified %v, %d audited", addr, u.Email, u.EmailVerified, f.auditCount("user.email_changed"))
	}
	if _, err := p.SetEmail(ctx, Actor{ID: SystemActor}, ada, "bob@example.com", false); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("a taken address: %v, want ErrAlreadyExists", err)
	}
	if _, err := p.SetEmail(ctx, Actor{ID: SystemActor}, ada, "not an address", false); !errors.Is(err, ErrInvalid) {
		t.Errorf("a malformed address: %v, want ErrInvalid", err)
	}
	if u2, _ := f.store.GetUser(ctx, ada); u2.Email != addr || !u2.EmailVerified || f.auditCount("user.email_changed") != 1 {
		t.Fatalf("a refused change changed something: %+v, %d audited", u2, f.auditCount("user.email_changed"))
	}
}
