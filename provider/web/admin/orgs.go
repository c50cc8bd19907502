package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type orgsPage struct {
	Title, CSRF, Action, Notice, Error, NewName string
	Nav                                         nav
	Orgs                                        []orgRow
}

type orgRow struct {
	ID, Name, URL, Members, Created string
	RequireMFA, RequirePasskey      bool
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
// as its owner; action require_passkey turns an organization's passkey
// requirement on or off (orgRequirePasskey).
func (a *Pages) orgCreate(ar *request) error {
	switch ar.r.PostFormValue("action") {
	case "require_passkey":
		return a.orgRequirePasskey(ar)
	case "create":
	default:
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

// orgRequirePasskey sets the organization's require_passkey (on=true or
// false) through the admin API's UpdateOrg, audited org.require_passkey:
// with it on, members must sign in with a passkey.
func (a *Pages) orgRequirePasskey(ar *request) error {
	on, err := strconv.ParseBool(ar.r.PostFormValue("on"))
	if err != nil {
		return unknownAction()
	}
	_, err = a.Ops.UpdateOrg(ar.r.Context(), ar.actor, ar.r.PostFormValue("org"), adminapi.OrgPatch{RequirePasskey: &on})
	if errors.Is(err, storage.ErrNotFound) {
		return notFound("organization", err)
	}
	if err != nil {
		return err
	}
	return a.redirectDone(ar, "/organizations", "org_requirement")
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
			Members: strconv.Itoa(len(ms)), Created: when(o.CreatedAt), RequireMFA: o.RequireMFA,
			RequirePasskey: o.RequirePasskey})
	}
	data.CSRF = a.csrf(ar)
	return a.Site.Render(ar.w, status, "admin_orgs", data)
}
