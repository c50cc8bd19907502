package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
)

// userPageSize caps the people list; the search narrows it.
const userPageSize = 200

type adminUsersPage struct {
	Title, Notice, Action, Query string
	Nav                          adminNav
	Users                        []userRow
	Total, Shown                 int
}

type userRow struct {
	ID, Email, Name, URL, Created string
	Admin, Disabled, Verified     bool
}

func (a *Admin) userURL(id string) string {
	return a.Pages.site.Path(PathAdmin + "/users/" + url.PathEscape(id))
}

// userList serves GET /admin/users?q=: people whose email contains q
// (ignoring case), oldest first.
func (a *Admin) userList(ar *adminRequest) error {
	if ar.r.Method == http.MethodPost {
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET.")
	}
	users, err := a.Store.ListUsers(ar.r.Context())
	if err != nil {
		return fmt.Errorf("web: admin: list users: %w", err)
	}
	q := strings.TrimSpace(ar.r.URL.Query().Get("q"))
	data := adminUsersPage{Title: "People", Nav: a.nav("/users"), Notice: ar.notice(), Action: a.Pages.site.Path(PathAdmin + "/users"), Query: q}
	needle := strings.ToLower(q)
	for _, u := range users {
		if needle != "" && !strings.Contains(strings.ToLower(u.Email), needle) {
			continue
		}
		data.Total++
		if len(data.Users) < userPageSize {
			data.Users = append(data.Users, userRow{ID: u.ID, Email: u.Email, Name: u.Name, URL: a.userURL(u.ID),
				Created: adminTime(u.CreatedAt), Admin: u.Admin, Disabled: u.Disabled, Verified: u.EmailVerified})
		}
	}
	data.Shown = len(data.Users)
	return a.Pages.site.Render(ar.w, http.StatusOK, "admin_users", data)
}

type adminUserPage struct {
	Title, CSRF, Action, Notice, Error, ListURL string
	Nav                                         adminNav
	User                                        userRow
	Self                                        bool
	Memberships                                 []adminMembershipRow
	Sessions                                    []sessionRow
	AuditURL                                    string
}

type adminMembershipRow struct{ OrgName, Role, URL string }

type sessionRow struct{ Started, LastSeen, IP, UserAgent, Methods string }

// userDetail serves GET and POST /admin/users/{id}: the person, their
// organizations and sessions; disable, enable, end sessions and delete go
// through accounts.People, which audits them. An admin cannot disable or
// delete themselves here, so the instance never loses its last admin by a
// slip.
func (a *Admin) userDetail(ar *adminRequest) error {
	p, ctx, r := a.Pages, ar.r.Context(), ar.r
	id := r.PathValue("id")
	u, err := a.Store.GetUser(ctx, id)
	if err != nil {
		return notFound("person", err)
	}
	self := u.ID == ar.user.ID
	status := http.StatusOK
	var formErr string
	if r.Method == http.MethodPost {
		action := r.PostFormValue("action")
		var err error
		done := ""
		switch {
		case self && (action == "disable" || action == "delete"):
			formErr, status = "You cannot disable or delete your own account here. Ask another administrator.", http.StatusUnprocessableEntity
		case action == "disable":
			err, done = p.Lifecycle.Disable(ctx, ar.actor, u.ID), "disabled"
		case action == "enable":
			err, done = p.Lifecycle.Enable(ctx, ar.actor, u.ID), "enabled"
		case action == "end_sessions":
			_, err = p.Lifecycle.EndSessions(ctx, ar.actor, u.ID, "")
			done = "sessions_ended"
		case action == "delete":
			if !strings.EqualFold(strings.TrimSpace(r.PostFormValue("confirm")), u.Email) {
				formErr, status = "Type the person's email address exactly to delete the account.", http.StatusUnprocessableEntity
				break
			}
			if err = p.Lifecycle.Delete(ctx, ar.actor, u.ID); err == nil {
				return a.redirectDone(ar, "/users", "deleted")
			}
		default:
			return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
		}
		switch {
		case errors.Is(err, accounts.ErrLastOwner):
			formErr, status = "This person is the only owner of an organization with other members. Make another member an owner first.", http.StatusConflict
		case err != nil:
			return fmt.Errorf("web: admin: %s: %w", action, err)
		case done != "":
			return page.RedirectSeeOther(ar.w, r, a.userURL(u.ID)+"?done="+done)
		}
	}
	data := adminUserPage{Title: u.Email, Nav: a.nav("/users"), Action: a.userURL(u.ID), Notice: ar.notice(), Error: formErr,
		ListURL: p.site.Path(PathAdmin + "/users"), Self: self,
		User: userRow{ID: u.ID, Email: u.Email, Name: u.Name, Created: adminTime(u.CreatedAt), Admin: u.Admin,
			Disabled: u.Disabled, Verified: u.EmailVerified},
		AuditURL: p.site.Path(PathAdmin+"/audit") + "?" + url.Values{"subject": {u.ID}}.Encode()}
	ms, err := a.Store.ListMembershipsByUser(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("web: admin: list memberships: %w", err)
	}
	for _, m := range ms {
		data.Memberships = append(data.Memberships, adminMembershipRow{OrgName: signin.OrgName(m), Role: m.Role, URL: p.orgURL(m.OrgID)})
	}
	ss, err := a.Store.ListSessionsByUser(ctx, u.ID, p.Now())
	if err != nil {
		return fmt.Errorf("web: admin: list sessions: %w", err)
	}
	for _, s := range ss {
		data.Sessions = append(data.Sessions, sessionRow{Started: adminTime(s.CreatedAt), LastSeen: adminTime(s.LastSeen),
			IP: s.IP, UserAgent: s.UserAgent, Methods: strings.Join(s.AMR, ", ")})
	}
	data.CSRF = p.Sessions.CSRFToken(ar.w, r)
	return p.site.Render(ar.w, status, "admin_user", data)
}
