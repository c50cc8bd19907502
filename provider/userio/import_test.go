package userio

import (
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func newImporter(t *testing.T) (*Importer, *sqlite.Store) {
	t.Helper()
	s := sqlitetest.Open(t)
	now := func() time.Time { return time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC) }
	return &Importer{Store: s, Orgs: &accounts.Organizations{Store: s, Audit: s, Now: now},
		Actor: accounts.Actor{ID: accounts.SystemActor}, Now: now}, s
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	im, st := newImporter(t)
	ctx := t.Context()
	existing := storage.User{ID: "taken-id", Email: "old@example.com", Name: "Old", CreatedAt: time.Now()}
	if err := st.CreateUser(ctx, existing); err != nil {
		t.Fatal(err)
	}
	acme := storage.Organization{ID: "acme-id", Name: "Acme", CreatedAt: time.Now()}
	if err := st.CreateOrg(ctx, acme); err != nil {
		t.Fatal(err)
	}
	rows := []Row{
		// Existing email, different case: skipped, name untouched, membership added.
		{Line: 1, User: User{Email: "OLD@example.com", Name: "Renamed", Memberships: []MembershipRecord{{OrgName: "Acme", Role: "admin"}}}},
		// Another user's id: refused.
		{Line: 2, User: User{ID: "taken-id", Email: "new@example.com"}},
		// A new organization with a custom role.
		{Line: 3, User: User{ID: "keep-me", Email: "x@example.com", Memberships: []MembershipRecord{{OrgName: "Zeta", Role: "auditor"}}}},
		{Line: 4, User: User{Email: "y@example.com", PasswordHash: "$2b$10$nope"}},
		{Line: 5, User: User{Email: "z@example.com", Memberships: []MembershipRecord{{OrgName: "", Role: "member"}}}},
	}
	rep, err := im.Import(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || rep.Skipped != 1 || rep.MembershipsAdded != 2 || rep.OrgsCreated != 1 || rep.Failed != 3 {
		t.Fatalf("report: %+v", rep)
	}
	for i, want := range []struct {
		line int
		text string
	}{{2, "belongs to another user"}, {4, "password hash"}, {5, "org_name and role"}} {
		if e := rep.Errors[i]; e.Line != want.line || !strings.Contains(e.Err, want.text) {
			t.Errorf("error %d: %+v, want line %d with %q", i, e, want.line, want.text)
		}
	}
	if u, _ := st.GetUser(ctx, "taken-id"); u.Name != "Old" || u.Email != "old@example.com" {
		t.Fatalf("existing user changed: %+v", u)
	}
	if m, err := st.GetMembership(ctx, "acme-id", "taken-id"); err != nil || m.Role != "admin" {
		t.Fatalf("membership in the existing organization: %+v %v", m, err)
	}
	u, err := st.GetUser(ctx, "keep-me")
	if err != nil || u.Email != "x@example.com" {
		t.Fatalf("new user keeps the exported id: %+v %v", u, err)
	}
	ms, _ := st.ListMembershipsByUser(ctx, "keep-me")
	if len(ms) != 1 || ms[0].OrgName != "Zeta" || ms[0].Role != "auditor" {
		t.Fatalf("memberships of the new user: %+v", ms)
	}
	if ev, _ := st.ListAudit(ctx, storage.AuditFilter{Type: "user.imported"}); len(ev) != 1 || ev[0].SubjectID != "keep-me" || ev[0].ActorID != accounts.SystemActor {
		t.Fatalf("audit: %+v", ev)
	}

	// Again: nothing new.
	rep, _ = im.Import(ctx, rows)
	if rep.Created != 0 || rep.Skipped != 2 || rep.MembershipsAdded != 0 || rep.OrgsCreated != 0 || rep.Failed != 3 {
		t.Fatalf("second run: %+v", rep)
	}
}
