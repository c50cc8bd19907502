package web

import (
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/web/page"
)

type adminDashboardPage struct {
	Title  string
	Nav    adminNav
	Counts []countTile
	// Signing is the key signing tokens now; Next is one published ahead.
	Signing, Next *keyRow
	Retired       int
	KeysURL       string
	Events        []auditRow
	AuditURL      string
	HomeURL       string
}

type countTile struct {
	Label, Sub, URL string
	N               int
}

// dashboard serves GET /admin: how big the instance is, which key signs and
// what happened last.
func (a *Admin) dashboard(ar *adminRequest) error {
	if ar.r.Method == http.MethodPost {
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET.")
	}
	ctx := ar.r.Context()
	users, err := a.Store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list users: %w", err)
	}
	cs, err := a.Store.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list clients: %w", err)
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list organizations: %w", err)
	}
	admins, disabled := 0, 0
	for _, u := range users {
		if u.Admin {
			admins++
		}
		if u.Disabled {
			disabled++
		}
	}
	public := 0
	for _, c := range cs {
		if c.Public {
			public++
		}
	}
	p := a.Pages
	data := adminDashboardPage{Title: "Administration", Nav: a.nav(""),
		Counts: []countTile{
			{Label: "People", N: len(users), Sub: fmt.Sprintf("%d admin, %d disabled", admins, disabled), URL: p.site.Path(PathAdmin + "/users")},
			{Label: "Clients", N: len(cs), Sub: fmt.Sprintf("%d confidential, %d public", len(cs)-public, public), URL: p.site.Path(PathAdmin + "/clients")},
			{Label: "Organizations", N: len(orgs), Sub: "tenants with their own members", URL: p.site.Path(PathAdmin + "/organizations")},
		},
		KeysURL: p.site.Path(PathAdmin + "/keys"), AuditURL: p.site.Path(PathAdmin + "/audit"), HomeURL: p.site.Path("/"),
	}
	ks, err := a.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list keys: %w", err)
	}
	for _, k := range ks {
		row := a.keyRow(k)
		switch k.State {
		case keys.StateSigning:
			data.Signing = &row
		case keys.StateNext:
			if data.Next == nil {
				data.Next = &row
			}
		default:
			data.Retired++
		}
	}
	if data.Events, err = a.recentEvents(ar, 8); err != nil {
		return err
	}
	return p.site.Render(ar.w, http.StatusOK, "admin_dashboard", data)
}
