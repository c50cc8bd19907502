package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

type orgsPage struct {
	Title, CSRF, Error, Notice string
	Action                     string
	Orgs                       []orgRow
	NewName                    string
	AccountURL                 string
}

type orgRow struct {
	ID, Name, Role, URL string
	Active              bool
}

// notices are the messages a redirect after a change may ask a page to
// show; a code in the URL rather than text, so nobody can make our pages
// say what they like.
var orgNotices = map[string]string{
	"created":      "Organization created. You are its owner.",
	"switched":     "Active organization changed. Applications see it at your next sign-in or token refresh.",
	"renamed":      "Organization renamed.",
	"deleted":      "Organization deleted.",
	"invited":      "Invitation sent.",
	"role_changed": "Role changed. It shows in the member's next token.",
	"removed":      "Member removed. Their tokens for this organization no longer work.",
	"left":         "You left the organization.",
	"role_defined": "Role added.",
	"role_deleted": "Role deleted.",
	"joined":       "Welcome! You are now a member.",
	"sso_saved":    "Single sign-on saved.",
	"domain_added": "Domain claimed. Publish its TXT record, then check it.",
	"domain_ok":    "Domain verified. Its addresses now sign in through your identity provider.",
}

// Organizations serves GET and POST /organizations: the signed-in person's
// organizations, which one is active in this browser, and a form to create
// one.
func (p *Pages) Organizations(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(p.organizations)(w, r)
}

func (p *Pages) organizations(w http.ResponseWriter, r *http.Request) error {
	sess, user, ok, err := p.site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return p.site.SignInFirst(w, r)
	}
	ctx := r.Context()
	data := orgsPage{Notice: orgNotices[r.URL.Query().Get("done")]}
	status := http.StatusOK
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		if err := p.Sessions.CheckCSRF(r); err != nil {
			return err
		}
		switch r.PostFormValue("action") {
		case "switch":
			orgID := r.PostFormValue("org_id")
			if _, err := p.Store.GetMembership(ctx, orgID, user.ID); err != nil {
				if !errors.Is(err, storage.ErrNotFound) {
					return fmt.Errorf("web: read membership: %w", err)
				}
				data.Error, status = "Choose one of your organizations.", http.StatusUnprocessableEntity
				break
			}
			err := p.Store.UpdateSession(ctx, sess.ID, func(s storage.Session) (storage.Session, error) {
				s.OrgID = orgID
				return s, nil
			})
			if err != nil {
				return fmt.Errorf("web: set active organization: %w", err)
			}
			// The account page's switcher comes back to the account page.
			if r.PostFormValue("return_to") == "account" {
				return page.RedirectSeeOther(w, r, p.site.Path("/account?done=org"))
			}
			return page.RedirectSeeOther(w, r, p.site.Path("/organizations?done=switched"))
		case "create":
			name := r.PostFormValue("name")
			org, err := p.Orgs.Create(ctx, accounts.Actor{ID: user.ID, IP: p.Sessions.RemoteIP(r)}, name)
			if err == nil {
				return page.RedirectSeeOther(w, r, p.orgURL(org.ID)+"?done=created")
			}
			msg, ok := orgRuleMessage(err, "An organization with that name exists already. Choose another name.")
			if !ok {
				return err
			}
			data.Error, data.NewName, status = msg, name, http.StatusUnprocessableEntity
		default:
			return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
	}
	ms, err := p.Store.ListMembershipsByUser(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("web: list memberships: %w", err)
	}
	for _, m := range ms {
		data.Orgs = append(data.Orgs, orgRow{ID: m.OrgID, Name: signin.OrgName(m), Role: m.Role, URL: p.orgURL(m.OrgID),
			Active: m.OrgID == sess.OrgID})
	}
	data.Title, data.Action, data.AccountURL = "Organizations", p.site.Path("/organizations"), p.site.Path("/")
	data.CSRF = p.Sessions.CSRFToken(w, r)
	return p.site.Render(w, status, "orgs", data)
}

func (p *Pages) orgURL(id string) string { return p.site.Path("/organizations/" + url.PathEscape(id)) }

// ruleMessage turns a refusal by the organization rules into words for
// the page; ok is false for anything else (a failure to report as such).
// taken is the message for a name or member that exists already.
func orgRuleMessage(err error, taken string) (msg string, ok bool) {
	switch {
	case errors.Is(err, accounts.ErrLastOwner):
		return "An organization needs at least one owner: make someone else an owner first.", true
	case errors.Is(err, accounts.ErrForbidden):
		return "Your role in this organization does not allow that.", true
	case errors.Is(err, accounts.ErrInvitationGone):
		return "This invitation is no longer valid: it was used, replaced by a newer one, or it expired.", true
	case errors.Is(err, accounts.ErrInvalid):
		return ruleMessage(err), true
	case errors.Is(err, storage.ErrAlreadyExists):
		return taken, true
	case errors.Is(err, storage.ErrConflict):
		return "Members still hold that role. Give them another role first.", true
	case errors.Is(err, storage.ErrNotFound):
		return "That member or role no longer exists. Reload the page.", true
	}
	return "", false
}
