package admin

import (
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/keys"
)

type dashboardPage struct {
	Title  string
	Nav    nav
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
func (a *Pages) dashboard(ar *request) error {
	ctx := ar.r.Context()
	users, err := a.Store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("admin: list users: %w", err)
	}
	cs, err := a.Store.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("admin: list clients: %w", err)
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("admin: list organizations: %w", err)
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
	data := dashboardPage{Title: "Administration", Nav: a.nav(""),
		Counts: []countTile{
			{Label: "Users", N: len(users), Sub: fmt.Sprintf("%d admin, %d disabled", admins, disabled), URL: a.path("/users")},
			{Label: "Clients", N: len(cs), Sub: fmt.Sprintf("%d confidential, %d public", len(cs)-public, public), URL: a.path("/clients")},
			{Label: "Organizations", N: len(orgs), Sub: "tenants with their own members", URL: a.path("/organizations")},
		},
		KeysURL: a.path("/keys"), AuditURL: a.path("/audit"), HomeURL: a.Site.Path(pathHome),
	}
	ks, err := a.Keys.List(ctx)
	if err != nil {
		return fmt.Errorf("admin: list keys: %w", err)
	}
	for _, k := range ks {
		row := newKeyRow(k)
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
	return a.Site.Render(ar.w, http.StatusOK, "admin_dashboard", data)
}
