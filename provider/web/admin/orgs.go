package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type orgsPage struct {
	Title, CSRF, Action, Notice, Error, NewName string
	Nav                                         nav
	Orgs                                        []orgRow
	// attrOrg's attributes were refused: attrText is what was submitted,
	// attrError why.
	attrOrg, attrText, attrError string
}

type orgRow struct {
	ID, Name, URL, Members, Created string
	RequireMFA, RequirePasskey      bool
	AttributesForm                  attributesForm
}

// attributesForm is the shared attributes textarea ("attributes_form")
// of an organization or a membership: the text is the attributes as
// indented JSON, or what was submitted when Error says why it was refused.
type attributesForm struct {
	Summary, Label, ID, Action, CSRF, Form, Org, Text, Error string
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
	case "set_attributes":
		return a.orgSetAttributes(ar)
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

// orgSetAttributes replaces the organization's attributes with the
// textarea's JSON object (empty: none) through the admin API's UpdateOrg;
// a refusal shows its reason at that organization, over the submitted
// text, and changes nothing.
func (a *Pages) orgSetAttributes(ar *request) error {
	id, text := ar.r.PostFormValue("org"), ar.r.PostFormValue("attributes")
	_, err := a.Ops.UpdateOrg(ar.r.Context(), ar.actor, id, adminapi.OrgPatch{AttributesPatch: replaceAttributes(text)})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return notFound("organization", err)
	case fault.KindOf(err) == fault.Invalid:
		return a.renderOrgs(ar, orgsPage{attrOrg: id, attrText: text, attrError: fault.Message(err, "These attributes were refused.")},
			http.StatusUnprocessableEntity)
	case err != nil:
		return err
	}
	return a.redirectDone(ar, "/organizations", "attributes_saved")
}

// replaceAttributes is a textarea's text as a replacing AttributesPatch
// (blank: remove them all).
func replaceAttributes(text string) adminapi.AttributesPatch {
	if strings.TrimSpace(text) == "" {
		return adminapi.AttributesPatch{Attributes: json.RawMessage("null")}
	}
	return adminapi.AttributesPatch{Attributes: json.RawMessage(text), ReplaceAttributes: true}
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
			RequirePasskey: o.RequirePasskey, AttributesForm: attributesForm{Summary: "Attributes",
				Label: "Attributes of " + o.Name, ID: "org-attributes-" + o.ID, Action: data.Action, Form: "set_attributes",
				Org: o.ID, Text: attributes.Format(o.Attributes)}})
		if o.ID == data.attrOrg {
			f := &data.Orgs[len(data.Orgs)-1].AttributesForm
			f.Text, f.Error = data.attrText, data.attrError
		}
	}
	data.CSRF = a.csrf(ar)
	for i := range data.Orgs {
		data.Orgs[i].AttributesForm.CSRF = data.CSRF
	}
	return a.Site.Render(ar.w, status, "admin_orgs", data)
}
