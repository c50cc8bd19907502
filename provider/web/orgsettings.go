package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type orgSettingsPage struct {
	Title, CSRF, Error, Notice string
	Action, BackURL            string
	Org                        storage.Organization
	MyRole                     string
	CanManage, IsOwner         bool
	CanInvite                  bool
	Members                    []memberRow
	Roles                      []accounts.Role
	Assignable                 []string
	InviteEmail, InviteRole    string
	// SSO is the single sign-on panel, for owners and admins when
	// organizations may have single sign-on.
	SSO *orgSSOView
}

type memberRow struct {
	UserID, Email, Name, Role string
	Self                      bool
	// Changeable: the viewer may change this member's role or remove them.
	Changeable bool
}

// OrganizationSettings serves GET and POST /organizations/{id}: members
// and their roles, invitations, custom roles, rename and delete, each
// allowed by the viewer's role (accounts.Organizations decides).
func (p *Pages) OrganizationSettings(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(p.organizationSettings)(w, r)
}

func (p *Pages) organizationSettings(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := p.site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return p.site.SignInFirst(w, r)
	}
	ctx := r.Context()
	orgID := r.PathValue("id")
	data := orgSettingsPage{Notice: orgNotices[r.URL.Query().Get("done")], InviteRole: accounts.RoleMember}
	status := http.StatusOK
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		if err := p.Sessions.CheckCSRF(r); err != nil {
			return err
		}
		done, err := p.orgAction(ctx, r, user, orgID)
		if err == nil {
			if done == "deleted" || done == "left" {
				return page.RedirectSeeOther(w, r, p.site.Path("/organizations?done="+done))
			}
			return page.RedirectSeeOther(w, r, p.orgURL(orgID)+"?done="+done)
		}
		msg, ok := orgRuleMessage(err, takenMessage(r.PostFormValue("action")))
		if !ok {
			return err
		}
		if errors.Is(err, accounts.ErrForbidden) && !p.isMember(ctx, orgID, user) {
			return orgNotFound(err)
		}
		data.Error, status = msg, http.StatusUnprocessableEntity
		data.InviteEmail, data.InviteRole = r.PostFormValue("email"), r.PostFormValue("role")
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
	}
	if err := p.fillOrgSettings(ctx, &data, user, orgID); err != nil {
		return err
	}
	data.CSRF = p.Sessions.CSRFToken(w, r)
	return p.site.Render(w, status, "orgsettings", data)
}

func takenMessage(action string) string {
	switch action {
	case "rename":
		return "An organization with that name exists already. Choose another name."
	case "define_role":
		return "The organization has a role with that name already."
	case "invite":
		return "That person is a member already."
	case "domain_add":
		return "That domain is claimed already, by this or another organization."
	}
	return "That exists already."
}

// orgNotFound answers a non-member the same whether or not the
// organization exists.
func orgNotFound(err error) error {
	return &page.Error{Status: http.StatusNotFound, Title: "Organization not found",
		Detail: "There is no such organization, or you are not a member of it.", Err: err}
}

func (p *Pages) isMember(ctx context.Context, orgID string, user storage.User) bool {
	if user.Admin {
		return true
	}
	_, err := p.Store.GetMembership(ctx, orgID, user.ID)
	return err == nil
}

// orgAction applies one posted change and returns the notice code for it.
// accounts.Organizations checks the viewer's role and audits the change.
func (p *Pages) orgAction(ctx context.Context, r *http.Request, user storage.User, orgID string) (string, error) {
	f := r.PostFormValue
	actor := accounts.Actor{ID: user.ID, IP: p.Sessions.RemoteIP(r)}
	switch f("action") {
	case "rename":
		return "renamed", p.Orgs.Rename(ctx, actor, orgID, f("name"))
	case "delete":
		return "deleted", p.Orgs.Delete(ctx, actor, orgID, f("confirm"))
	case "invite":
		return "invited", p.invite(ctx, actor, user, orgID, f("email"), f("role"))
	case "set_role":
		return "role_changed", p.Orgs.SetRole(ctx, actor, orgID, f("user_id"), f("role"))
	case "remove":
		done := "removed"
		if f("user_id") == user.ID {
			done = "left"
		}
		return done, p.Orgs.RemoveMember(ctx, actor, orgID, f("user_id"))
	case "define_role":
		return "role_defined", p.Orgs.DefineRole(ctx, actor, orgID, f("role_name"), f("description"))
	case "delete_role":
		return "role_deleted", p.Orgs.DeleteRole(ctx, actor, orgID, f("role_name"))
	case "sso_set", "domain_add", "domain_verify":
		return p.orgSSOAction(ctx, r, actor, orgID)
	}
	return "", page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
}

// invite stores the invitation and mails its link.
func (p *Pages) invite(ctx context.Context, actor accounts.Actor, user storage.User, orgID, email, role string) error {
	if p.Mailer == nil {
		return fmt.Errorf("web: invitations need mail: %w", accounts.ErrForbidden)
	}
	secret, inv, err := p.Orgs.Invite(ctx, actor, orgID, email, role)
	if err != nil {
		return err
	}
	link := p.issuerURL() + "/invitations/accept?" + url.Values{"org": {orgID}, "token": {secret}}.Encode()
	inviter := user.Name
	if inviter == "" {
		inviter = user.Email
	}
	err = p.Mailer.Send(ctx, inv.Email, mail.Invite{OrgName: inv.OrgName, Role: inv.Role, Inviter: inviter, Link: link,
		ExpiresAt: inv.ExpiresAt.Format(time.RFC1123)})
	if err != nil {
		return fmt.Errorf("web: queue invitation mail: %w", err)
	}
	return nil
}

// issuerURL is the issuer without a trailing slash, the base of links in
// mails. New checked that the issuer parses.
func (p *Pages) issuerURL() string { return p.site.Link("", nil) }

func (p *Pages) fillOrgSettings(ctx context.Context, data *orgSettingsPage, user storage.User, orgID string) error {
	org, err := p.Store.GetOrg(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		return orgNotFound(err)
	}
	if err != nil {
		return fmt.Errorf("web: read organization: %w", err)
	}
	members, err := p.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return fmt.Errorf("web: list members: %w", err)
	}
	data.MyRole = ""
	for _, m := range members {
		if m.UserID == user.ID {
			data.MyRole = m.Role
		}
	}
	if data.MyRole == "" {
		if !user.Admin {
			return orgNotFound(nil)
		}
		data.MyRole = accounts.RoleOwner
	}
	roles, err := p.Orgs.Roles(ctx, orgID)
	if err != nil {
		return err
	}
	data.Title, data.Org, data.Roles = org.Name, org, roles
	data.Action, data.BackURL = p.orgURL(orgID), p.site.Path("/organizations")
	data.CanManage = accounts.CanManage(data.MyRole)
	data.IsOwner = data.MyRole == accounts.RoleOwner
	data.CanInvite = data.CanManage && p.Mailer != nil
	for _, r := range roles {
		if r.Name != accounts.RoleOwner || data.IsOwner {
			data.Assignable = append(data.Assignable, r.Name)
		}
	}
	for _, m := range members {
		row := memberRow{UserID: m.UserID, Role: m.Role, Self: m.UserID == user.ID,
			Changeable: data.CanManage && (m.Role != accounts.RoleOwner || data.IsOwner)}
		if u, err := p.Store.GetUser(ctx, m.UserID); err == nil {
			row.Email, row.Name = u.Email, u.Name
		}
		data.Members = append(data.Members, row)
	}
	if data.CanManage {
		return p.fillOrgSSO(ctx, data, orgID)
	}
	return nil
}
