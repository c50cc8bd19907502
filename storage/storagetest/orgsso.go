package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var orgSSOTests = []subTest{
	{"OrgSSO/Connector", testOrgConnector},
	{"OrgSSO/Domains", testOrgDomains},
	{"OrgSSO/DeleteOrgCascades", testOrgSSOCascade},
}

func testOrgConnector(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	_, err := s.GetOrgConnector(ctx, "o1")
	wantErr(t, "GetOrgConnector(none)", err, storage.ErrNotFound)
	want := storage.OrgConnector{OrgID: "o1", ConnectorID: "corp", DefaultRole: "member", ForbidPassword: true,
		GroupRoles: map[string]string{"engineering": "admin", "staff": "member"}, CreatedAt: base, UpdatedAt: base}
	must(t, "PutOrgConnector", s.PutOrgConnector(ctx, want))
	got, err := s.GetOrgConnector(ctx, "o1")
	must(t, "GetOrgConnector", err)
	equal(t, "GetOrgConnector", got, want)
	// Put again replaces, keeping the creation time.
	next := storage.OrgConnector{OrgID: "o1", ConnectorID: "other", DefaultRole: "viewer", CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
	must(t, "PutOrgConnector(replace)", s.PutOrgConnector(ctx, next))
	got, err = s.GetOrgConnector(ctx, "o1")
	must(t, "GetOrgConnector(replaced)", err)
	next.CreatedAt, next.GroupRoles = base, map[string]string{}
	equal(t, "GetOrgConnector(replaced)", got, next)
	wantErr(t, "PutOrgConnector(unknown org)", s.PutOrgConnector(ctx, storage.OrgConnector{OrgID: "nope", ConnectorID: "corp"}), storage.ErrNotFound)
	must(t, "DeleteOrgConnector", s.DeleteOrgConnector(ctx, "o1"))
	wantErr(t, "DeleteOrgConnector(again)", s.DeleteOrgConnector(ctx, "o1"), storage.ErrNotFound)
}

func testOrgDomains(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Beta", base)
	d := storage.OrgDomain{Domain: "acme.example", OrgID: "o1", Token: "tok-1", CreatedAt: base}
	must(t, "CreateOrgDomain", s.CreateOrgDomain(ctx, d))
	must(t, "CreateOrgDomain(second)", s.CreateOrgDomain(ctx, storage.OrgDomain{Domain: "a.acme.example", OrgID: "o1", Token: "tok-2", CreatedAt: base}))
	// One domain, one organization.
	wantErr(t, "CreateOrgDomain(claimed by another)", s.CreateOrgDomain(ctx, storage.OrgDomain{Domain: "acme.example", OrgID: "o2", Token: "x"}), storage.ErrAlreadyExists)
	wantErr(t, "CreateOrgDomain(unknown org)", s.CreateOrgDomain(ctx, storage.OrgDomain{Domain: "x.example", OrgID: "nope", Token: "x"}), storage.ErrNotFound)
	got, err := s.GetOrgDomain(ctx, "acme.example")
	must(t, "GetOrgDomain", err)
	equal(t, "GetOrgDomain", got, d)
	wantErr(t, "VerifyOrgDomain(another org's)", s.VerifyOrgDomain(ctx, "o2", "acme.example", at(time.Minute)), storage.ErrNotFound)
	must(t, "VerifyOrgDomain", s.VerifyOrgDomain(ctx, "o1", "acme.example", at(time.Minute)))
	got, err = s.GetOrgDomain(ctx, "acme.example")
	must(t, "GetOrgDomain(verified)", err)
	if !got.VerifiedAt.Equal(at(time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("VerifiedAt = %v", got.VerifiedAt)
	}
	list, err := s.ListOrgDomains(ctx, "o1")
	must(t, "ListOrgDomains", err)
	if len(list) != 2 || list[0].Domain != "a.acme.example" || list[1].Domain != "acme.example" {
		t.Fatalf("ListOrgDomains = %+v", list)
	}
	wantErr(t, "DeleteOrgDomain(another org's)", s.DeleteOrgDomain(ctx, "o2", "acme.example"), storage.ErrNotFound)
	must(t, "DeleteOrgDomain", s.DeleteOrgDomain(ctx, "o1", "acme.example"))
	_, err = s.GetOrgDomain(ctx, "acme.example")
	wantErr(t, "GetOrgDomain(deleted)", err, storage.ErrNotFound)
}

func testOrgSSOCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	must(t, "PutOrgConnector", s.PutOrgConnector(ctx, storage.OrgConnector{OrgID: "o1", ConnectorID: "corp", DefaultRole: "member"}))
	must(t, "CreateOrgDomain", s.CreateOrgDomain(ctx, storage.OrgDomain{Domain: "acme.example", OrgID: "o1", Token: "t"}))
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	_, err := s.GetOrgConnector(ctx, "o1")
	wantErr(t, "GetOrgConnector after DeleteOrg", err, storage.ErrNotFound)
	_, err = s.GetOrgDomain(ctx, "acme.example")
	wantErr(t, "GetOrgDomain after DeleteOrg", err, storage.ErrNotFound)
}
