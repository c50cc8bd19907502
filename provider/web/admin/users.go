package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// userPageSize caps the user list; the search narrows it.
const userPageSize = 200

type usersPage struct {
	Title, Notice, Action, Query string
	Nav                          nav
	Users                        []userRow
	Total, Shown                 int
}

type userRow struct {
	ID, Email, Name, URL, Created string
	Admin, Disabled, Verified     bool
}

func (a *Pages) userURL(id string) string { return a.path("/users/" + url.PathEscape(id)) }

// userList serves GET /admin/users?q=: users whose email contains q
// (ignoring case), oldest first.
func (a *Pages) userList(ar *request) error {
	users, err := a.Store.ListUsers(ar.r.Context())
	if err != nil {
		return fmt.Errorf("admin: list users: %w", err)
	}
	q := strings.TrimSpace(ar.r.URL.Query().Get("q"))
	data := usersPage{Title: "Users", Nav: a.nav("/users"), Notice: ar.notice(), Action: a.path("/users"), Query: q}
	needle := strings.ToLower(q)
	for _, u := range users {
		if needle != "" && !strings.Contains(strings.ToLower(u.Email), needle) {
			continue
		}
		data.Total++
		if len(data.Users) < userPageSize {
			data.Users = append(data.Users, userRow{ID: u.ID, Email: u.Email, Name: u.Name, URL: a.userURL(u.ID),
				Created: when(u.CreatedAt), Admin: u.Admin, Disabled: u.Disabled, Verified: u.EmailVerified})
		}
	}
	data.Shown = len(data.Users)
	return a.Site.Render(ar.w, http.StatusOK, "admin_users", data)
}

type userPage struct {
	Title, CSRF, Action, Notice, Error, ListURL string
	Nav                                         nav
	User                                        userRow
	Self                                        bool
	Memberships                                 []membershipRow
	Sessions                                    []sessionRow
	Passkeys                                    []passkeyRow
	AuditURL                                    string
	// Attributes is the attributes as indented JSON for the textarea, or
	// the text the admin submitted when it was refused (AttributesError).
	Attributes, AttributesError string
}

// passkeyRow is a passkey as the user page lists it; Type is
// adminapi.PasskeyType's.
type passkeyRow struct {
	ID, Name, Type, Created, LastUsed string
	CloneWarning                      bool
}

// membershipRow is a membership on the user page, with its attributes as
// indented JSON (or the refused text) and why they were refused.
type membershipRow struct {
	OrgID, OrgName, Role, URL string
	AttributesForm            attributesForm
}

type sessionRow struct{ Started, LastSeen, IP, UserAgent, Methods string }

// user reads the user of the page's {id}.
func (a *Pages) user(ar *request) (storage.User, error) {
	u, err := a.Store.GetUser(ar.r.Context(), ar.r.PathValue("id"))
	if err != nil {
		return storage.User{}, notFound("user", err)
	}
	return u, nil
}

// userDetail serves GET /admin/users/{id}: the user, their organizations
// and sessions.
func (a *Pages) userDetail(ar *request) error {
	u, err := a.user(ar)
	if err != nil {
		return err
	}
	return a.renderUser(ar, u, "", http.StatusOK)
}

// userChange serves POST /admin/users/{id}: action disable, enable,
// end_sessions or delete, through UserChanges, which audits them. An
// admin cannot disable or delete themselves here, so the instance never
// loses its last admin by a slip.
func (a *Pages) userChange(ar *request) error {
	u, err := a.user(ar)
	if err != nil {
		return err
	}
	ctx, r := ar.r.Context(), ar.r
	action := r.PostFormValue("action")
	done := ""
	switch {
	case u.ID == ar.user.ID && (action == "disable" || action == "delete"):
		return a.renderUser(ar, u, "You cannot disable or delete your own account here. Ask another administrator.", http.StatusUnprocessableEntity)
	case action == "disable":
		err, done = a.Users.Disable(ctx, ar.actor, u.ID), "disabled"
	case action == "enable":
		err, done = a.Users.Enable(ctx, ar.actor, u.ID), "enabled"
	case action == "end_sessions":
		_, err = a.Users.EndSessions(ctx, ar.actor, u.ID, "")
		done = "sessions_ended"
	case (action == "remove_passkey" || action == "reset_mfa") && r.PostFormValue("confirm") != "yes":
		return a.renderUser(ar, u, "Tick the box to confirm.", http.StatusUnprocessableEntity)
	case action == "remove_passkey":
		err, done = a.Passkeys.Remove(ctx, ar.actor, u.ID, r.PostFormValue("passkey")), "passkey_removed"
	case action == "reset_mfa":
		err, done = a.Ops.ResetMFA(ctx, ar.actor, u.ID), "mfa_reset"
	case action == "set_attributes":
		return a.setUserAttributes(ar, u)
	case action == "set_member_attributes":
		return a.setMemberAttributes(ar, u)
	case action == "delete":
		if !strings.EqualFold(strings.TrimSpace(r.PostFormValue("confirm")), u.Email) {
			return a.renderUser(ar, u, "Type the user's email address exactly to delete the account.", http.StatusUnprocessableEntity)
		}
		if err = a.Users.Delete(ctx, ar.actor, u.ID); err == nil {
			return a.redirectDone(ar, "/users", "deleted")
		}
	default:
		return unknownAction()
	}
	switch {
	case errors.Is(err, accounts.ErrLastOwner):
		return a.renderUser(ar, u, "This user is the only owner of an organization with other members. Make another member an owner first.", http.StatusConflict)
	case errors.Is(err, passkey.ErrNotFound):
		return a.renderUser(ar, u, "That passkey was removed already.", http.StatusNotFound)
	case action == "reset_mfa" && fault.KindOf(err) == fault.NotFound:
		return a.renderUser(ar, u, "This user has neither two-step verification nor a passkey.", http.StatusNotFound)
	case err != nil:
		return fmt.Errorf("admin: %s: %w", action, err)
	}
	return page.RedirectSeeOther(ar.w, r, a.userURL(u.ID)+"?done="+done)
}

// setUserAttributes replaces the user's attributes with the textarea's
// JSON object (empty: none); a refusal (not JSON, too big or deep, the
// instance schema) shows the validator's message over the submitted text
// and changes nothing.
func (a *Pages) setUserAttributes(ar *request, u storage.User) error {
	text := ar.r.PostFormValue("attributes")
	m, err := attributes.Parse([]byte(text))
	if err == nil {
		_, err = a.Users.SetAttributes(ar.r.Context(), ar.actor, u.ID, accounts.AttributeChange{Value: m, Replace: true})
	}
	if fault.KindOf(err) == fault.Invalid {
		return a.renderUserWith(ar, u, "", http.StatusUnprocessableEntity, func(d *userPage) {
			d.Attributes, d.AttributesError = text, fault.Message(err, "These attributes were refused.")
		})
	}
	if err != nil {
		return fmt.Errorf("admin: set attributes: %w", err)
	}
	return page.RedirectSeeOther(ar.w, ar.r, a.userURL(u.ID)+"?done=attributes_saved")
}

// setMemberAttributes replaces the attributes of the user's membership in
// the form's org, as setUserAttributes does the user's.
func (a *Pages) setMemberAttributes(ar *request, u storage.User) error {
	org, text := ar.r.PostFormValue("org"), ar.r.PostFormValue("attributes")
	err := a.Ops.UpdateMember(ar.r.Context(), ar.actor, org, u.ID, adminapi.MemberPatch{AttributesPatch: replaceAttributes(text)})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return notFound("membership", err)
	case fault.KindOf(err) == fault.Invalid:
		return a.renderUserWith(ar, u, "", http.StatusUnprocessableEntity, func(d *userPage) {
			for i := range d.Memberships {
				if f := &d.Memberships[i].AttributesForm; d.Memberships[i].OrgID == org {
					f.Text, f.Error = text, fault.Message(err, "These attributes were refused.")
				}
			}
		})
	case err != nil:
		return fmt.Errorf("admin: set membership attributes: %w", err)
	}
	return page.RedirectSeeOther(ar.w, ar.r, a.userURL(u.ID)+"?done=attributes_saved")
}

func (a *Pages) renderUser(ar *request, u storage.User, formErr string, status int) error {
	return a.renderUserWith(ar, u, formErr, status, nil)
}

func (a *Pages) renderUserWith(ar *request, u storage.User, formErr string, status int, adjust func(*userPage)) error {
	ctx := ar.r.Context()
	data := userPage{Attributes: attributes.Format(u.Attributes), Title: u.Email, Nav: a.nav("/users"), Action: a.userURL(u.ID), Notice: ar.notice(), Error: formErr,
		ListURL: a.path("/users"), Self: u.ID == ar.user.ID,
		User: userRow{ID: u.ID, Email: u.Email, Name: u.Name, Created: when(u.CreatedAt), Admin: u.Admin,
			Disabled: u.Disabled, Verified: u.EmailVerified},
		AuditURL: a.path("/audit") + "?" + url.Values{"subject": {u.ID}}.Encode()}
	ms, err := a.Store.ListMembershipsByUser(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("admin: list memberships: %w", err)
	}
	for _, m := range ms {
		data.Memberships = append(data.Memberships, membershipRow{OrgID: m.OrgID, OrgName: page.OrgName(m), Role: m.Role,
			URL: a.Site.Path(orgs.OrganizationPath(m.OrgID)), AttributesForm: attributesForm{Summary: "Membership attributes",
				Label: "Attributes in " + page.OrgName(m), ID: "member-attributes-" + m.OrgID, Action: data.Action,
				Form: "set_member_attributes", Org: m.OrgID, Text: attributes.Format(m.Attributes)}})
	}
	ss, err := a.Store.ListSessionsByUser(ctx, u.ID, a.Site.Now())
	if err != nil {
		return fmt.Errorf("admin: list sessions: %w", err)
	}
	for _, s := range ss {
		data.Sessions = append(data.Sessions, sessionRow{Started: when(s.CreatedAt), LastSeen: when(s.LastSeen),
			IP: s.IP, UserAgent: s.UserAgent, Methods: strings.Join(s.AMR, ", ")})
	}
	ps, err := a.Passkeys.List(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("admin: list passkeys: %w", err)
	}
	for _, p := range ps {
		data.Passkeys = append(data.Passkeys, passkeyRow{ID: p.ID, Name: p.Name, Type: adminapi.PasskeyType(p.Attachment),
			Created: when(p.CreatedAt), LastUsed: when(p.LastUsedAt), CloneWarning: p.CloneWarning})
	}
	if adjust != nil {
		adjust(&data)
	}
	data.CSRF = a.csrf(ar)
	for i := range data.Memberships {
		data.Memberships[i].AttributesForm.CSRF = data.CSRF
	}
	return a.Site.Render(ar.w, status, "admin_user", data)
}
