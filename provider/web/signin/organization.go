package signin

import (
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type orgPage struct {
	Title      string
	ClientName string
	Action     string
	CSRF       string
	Error      string
	Orgs       []orgChoice
	UserEmail  string
	SwitchURL  string
}

type orgChoice struct {
	ID, Name, Role string
	Checked        bool
}

// organization serves GET and POST /organization?request=ID: the user
// picks which of their organizations this sign-in is for.
func (p *Pages) organization(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	if f == nil {
		return page.RequestGone(nil)
	}
	sess, user, ok, err := p.Flows.Session(r, f)
	if err != nil {
		return err
	}
	if !ok {
		return page.Redirect(w, r, p.Site.WithRequest(PathLogin, f.Req.ID))
	}
	ctx := r.Context()
	all, err := p.Store.ListMembershipsByUser(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("signin: list memberships: %w", err)
	}
	// A client bound to one organization can only be used in that one.
	var ms []storage.Membership
	for _, m := range all {
		if f.Client.OrgID == "" || m.OrgID == f.Client.OrgID {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return page.Show(http.StatusForbidden, "No organization",
			"Your account is not a member of an organization this application can use. Ask an administrator to add you.")
	}

	data := orgPage{Title: "Choose an organization", ClientName: f.ClientName(),
		Action: p.Site.WithRequest(PathOrganization, f.Req.ID), UserEmail: user.Email,
		SwitchURL: p.Site.WithRequest(PathLogin, f.Req.ID) + "&switch=1"}
	status := http.StatusOK
	selected := f.Req.OrgID
	if selected == "" {
		selected = sess.OrgID
	}
	if r.Method == http.MethodPost {
		if err := p.Site.Sessions().CheckCSRF(r); err != nil {
			return err
		}
		orgID := r.PostFormValue("org_id")
		if member(ms, orgID) {
			if err := p.Flows.Decide(ctx, f.Req.ID, sess.ID, func(ar *storage.AuthRequest) { ar.OrgID = orgID }); err != nil {
				return err
			}
			err := p.Store.UpdateSession(ctx, sess.ID, func(s storage.Session) (storage.Session, error) {
				s.OrgID = orgID
				return s, nil
			})
			if err != nil {
				return fmt.Errorf("signin: set active organization: %w", err)
			}
			return page.Redirect(w, r, p.Flows.ResumeURL(f.Req.ID))
		}
		status = http.StatusUnprocessableEntity
		data.Error = "Choose one of your organizations."
		selected = ""
	}
	if len(ms) == 1 {
		selected = ms[0].OrgID
	}
	for _, m := range ms {
		data.Orgs = append(data.Orgs, orgChoice{ID: m.OrgID, Name: page.OrgName(m), Role: m.Role, Checked: m.OrgID == selected})
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	page.AllowFormAction(w, f.RedirectTargets()...)
	return p.Site.Render(w, status, "organization", data)
}

func member(ms []storage.Membership, orgID string) bool {
	for _, m := range ms {
		if orgID != "" && m.OrgID == orgID {
			return true
		}
	}
	return false
}
