package orgs

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

type settingsPage struct {
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
	SSO *ssoPanel
	// Scim is the SCIM provisioning panel, for owners and admins.
	Scim *scimPanel
	// NewScimToken is a SCIM token just made, shown this once.
	NewScimToken string
}

type memberRow struct {
	UserID, Email, Name, Role string
	Self                      bool
	// Changeable: the viewer may change this member's role or remove them.
	Changeable bool
}

// settings serves GET /organizations/{id}: members and their roles,
// invitations, custom roles, rename and delete, each offered as the
// viewer's role allows (accounts.Organizations decides).
func (p *Pages) settings(w http.ResponseWriter, r *http.Request, _ storage.Session, user storage.User) error {
	return p.renderSettings(w, r, user, settingsPage{InviteRole: accounts.RoleMember}, http.StatusOK)
}

// settingsPost serves POST /organizations/{id}: the form named by its
// action field; a refusal by the rules is shown on the page.
func (p *Pages) settingsPost(w http.ResponseWriter, r *http.Request, _ storage.Session, user storage.User) error {
	ctx := r.Context()
	orgID := r.PathValue("id")
	if r.PostFormValue("action") == "scim_token_create" {
		return p.scimTokenCreate(w, r, user, orgID)
	}
	done, err := p.apply(ctx, r, user, orgID)
	if err == nil {
		if done == "deleted" || done == "left" {
			return page.RedirectSeeOther(w, r, p.Site.Path(PathOrganizations+"?done="+done))
		}
		return page.RedirectSeeOther(w, r, p.Site.Path(OrganizationPath(orgID))+"?done="+done)
	}
	return p.refused(w, r, user, orgID, err)
}

// refused shows the page again with the rule's refusal, or answers a
// non-member as if the organization did not exist.
func (p *Pages) refused(w http.ResponseWriter, r *http.Request, user storage.User, orgID string, err error) error {
	ctx := r.Context()
	msg, ok := RuleMessage(err, takenMessage(r.PostFormValue("action")))
	if !ok {
		return err
	}
	if errors.Is(err, accounts.ErrForbidden) && !p.isMember(ctx, orgID, user) {
		return notFound(err)
	}
	data := settingsPage{Error: msg, InviteEmail: r.PostFormValue("email"), InviteRole: r.PostFormValue("role")}
	return p.renderSettings(w, r, user, data, http.StatusUnprocessableEntity)
}

func (p *Pages) renderSettings(w http.ResponseWriter, r *http.Request, user storage.User, data settingsPage, status int) error {
	if data.Notice == "" {
		data.Notice = notices[r.URL.Query().Get("done")]
	}
	if err := p.fill(r.Context(), &data, user, r.PathValue("id")); err != nil {
		return err
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "orgsettings", data)
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

// notFound answers a non-member the same whether or not the organization
// exists.
func notFound(err error) error {
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

// apply makes one posted change and returns the notice code for it.
// accounts.Organizations checks the viewer's role and audits the change.
func (p *Pages) apply(ctx context.Context, r *http.Request, user storage.User, orgID string) (string, error) {
	f := r.PostFormValue
	actor := accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}
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
	case "scim_token_revoke":
		if p.Provisioning == nil {
			break
		}
		return "scim_revoked", p.Provisioning.RevokeToken(ctx, actor, orgID)
	case "sso_set", "domain_add", "domain_verify":
		return p.SSO.apply(ctx, r, actor, orgID)
	}
	return "", page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
}

// invite stores the invitation and mails its link.
func (p *Pages) invite(ctx context.Context, actor accounts.Actor, user storage.User, orgID, email, role string) error {
	if !p.invites {
		return fmt.Errorf("orgs: invitations need mail: %w", accounts.ErrForbidden)
	}
	secret, inv, err := p.Orgs.Invite(ctx, actor, orgID, email, role)
	if err != nil {
		return err
	}
	link := p.Site.Link(pathAcceptInvitation, url.Values{"org": {orgID}, "token": {secret}})
	inviter := user.Name
	if inviter == "" {
		inviter = user.Email
	}
	err = p.Mailer.Send(ctx, inv.Email, mail.Invite{OrgName: inv.OrgName, Role: inv.Role, Inviter: inviter, Link: link,
		ExpiresAt: inv.ExpiresAt.Format(time.RFC1123)})
	if err != nil {
		return fmt.Errorf("orgs: queue invitation mail: %w", err)
	}
	return nil
}

func (p *Pages) fill(ctx context.Context, data *settingsPage, user storage.User, orgID string) error {
	org, err := p.Store.GetOrg(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		return notFound(err)
	}
	if err != nil {
		return fmt.Errorf("orgs: read organization: %w", err)
	}
	members, err := p.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return fmt.Errorf("orgs: list members: %w", err)
	}
	data.MyRole = ""
	for _, m := range members {
		if m.UserID == user.ID {
			data.MyRole = m.Role
		}
	}
	if data.MyRole == "" {
		if !user.Admin {
			return notFound(nil)
		}
		data.MyRole = accounts.RoleOwner
	}
	roles, err := p.Orgs.Roles(ctx, orgID)
	if err != nil {
		return err
	}
	data.Title, data.Org, data.Roles = org.Name, org, roles
	data.Action, data.BackURL = p.Site.Path(OrganizationPath(orgID)), p.Site.Path(PathOrganizations)
	data.CanManage = accounts.CanManage(data.MyRole)
	data.IsOwner = data.MyRole == accounts.RoleOwner
	data.CanInvite = data.CanManage && p.invites
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
		panel, err := p.SSO.panel(ctx, orgID, data.Roles)
		if err != nil {
			return err
		}
		data.SSO = panel
		actor := accounts.Actor{ID: user.ID}
		if data.Scim, err = p.scimPanel(ctx, actor, orgID); err != nil {
			return err
		}
	}
	return nil
}
