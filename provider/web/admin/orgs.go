package admin

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
)

type orgsPage struct {
	Title, CSRF, Action, Notice, Error, NewName string
	Nav                                         nav
	Orgs                                        []orgRow
}

type orgRow struct {
	ID, Name, URL, Members, Created string
	RequireMFA                      bool
}

// orgList serves GET /admin/organizations: every organization, linking to
// its page /organizations/{id} (web/orgs), where an instance admin acts as
// an owner (accounts.Organizations grants it), so members, roles,
// invitations and deletion are not built twice.
func (a *Pages) orgList(ar *request) error {
	return a.renderOrgs(ar, orgsPage{}, http.StatusOK)
}

// orgCreate serves POST /admin/organizations, action create: through
// accounts.Organizations.Create like the users' own page, with the admin
// as its owner.
func (a *Pages) orgCreate(ar *request) error {
	if ar.r.PostFormValue("action") != "create" {
		return unknownAction()
	}
	name := ar.r.PostFormValue("name")
	org, err := a.Ops.CreateOrg(ar.r.Context(), ar.actor, name, false)
	if err == nil {
		return page.RedirectSeeOther(ar.w, ar.r, a.Site.Path(orgs.OrganizationPath(org.ID))+"?done=created")
	}
	msg, ok := orgs.RuleMessage(err, "An organization with that name exists already. Choose another name.")
	if !ok {
		return err
	}
	return a.renderOrgs(ar, orgsPage{Error: msg, NewName: name}, http.StatusUnprocessableEntity)
}

func (a *Pages) renderOrgs(ar *request, data orgsPage, status int) error {
	ctx := ar.r.Context()
	data.Title, data.Nav, data.Action, data.Notice = "Organizations", a.nav("/organizations"), a.path("/organizations"), ar.notice()
	list, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("admin: list organizations: %w", err)
	}
	for _, o := range list {
		ms, err := a.Store.ListMembersByOrg(ctx, o.ID)
		if err != nil {
			return fmt.Errorf("admin: list members: %w", err)
		}
		data.Orgs = append(data.Orgs, orgRow{ID: o.ID, Name: o.Name, URL: a.Site.Path(orgs.OrganizationPath(o.ID)),
			Members: strconv.Itoa(len(ms)), Created: when(o.CreatedAt), RequireMFA: o.RequireMFA})
	}
	data.CSRF = a.csrf(ar)
	return a.Site.Render(ar.w, status, "admin_orgs", data)
}
