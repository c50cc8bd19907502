package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/ostiary/ostiary/provider/web/page"
)

type adminOrgsPage struct {
	Title, CSRF, Action, Notice, Error, NewName string
	Nav                                         adminNav
	Orgs                                        []adminOrgRow
}

type adminOrgRow struct {
	ID, Name, URL, Members, Created string
	RequireMFA                      bool
}

// orgList serves GET and POST /admin/organizations: every organization,
// linking to its page /organizations/{id}, where an instance admin acts as
// an owner (accounts.Organizations grants it), so members, roles,
// invitations and deletion are not built twice. Create goes through
// accounts.Organizations.Create like the people's own page.
func (a *Admin) orgList(ar *adminRequest) error {
	p, ctx, r := a.Pages, ar.r.Context(), ar.r
	data := adminOrgsPage{Title: "Organizations", Nav: a.nav("/organizations"), Action: p.site.Path(PathAdmin + "/organizations"),
		Notice: ar.notice()}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if r.PostFormValue("action") != "create" {
			return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
		}
		name := r.PostFormValue("name")
		org, err := p.Orgs.Create(ctx, ar.actor, name)
		if err == nil {
			return page.RedirectSeeOther(ar.w, r, p.orgURL(org.ID)+"?done=created")
		}
		msg, ok := orgRuleMessage(err, "An organization with that name exists already. Choose another name.")
		if !ok {
			return err
		}
		data.Error, data.NewName, status = msg, name, http.StatusUnprocessableEntity
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list organizations: %w", err)
	}
	for _, o := range orgs {
		ms, err := a.Store.ListMembersByOrg(ctx, o.ID)
		if err != nil {
			return fmt.Errorf("web: admin: list members: %w", err)
		}
		data.Orgs = append(data.Orgs, adminOrgRow{ID: o.ID, Name: o.Name, URL: p.orgURL(o.ID), Members: strconv.Itoa(len(ms)),
			Created: adminTime(o.CreatedAt), RequireMFA: o.RequireMFA})
	}
	data.CSRF = p.Sessions.CSRFToken(ar.w, r)
	return p.site.Render(ar.w, status, "admin_orgs", data)
}
