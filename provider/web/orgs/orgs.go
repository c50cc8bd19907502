// Package orgs serves the organization pages: the signed-in user's
// organizations under /organizations (the active one in this browser, and
// creating one) and each organization's page under /organizations/{id}
// (members and their roles, invitations, custom roles, rename and delete,
// and its single sign-on when the instance has it). accounts.Organizations
// and orgsso.Service decide what the viewer's role allows and audit each
// change; the pages only read forms and show the outcome.
//
// The organization picker at sign-in is web/signin's, the acceptance of an
// invitation web/selfservice's.
package orgs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// PathOrganizations is the list of the signed-in user's organizations; an
// organization's own page is below it (OrganizationPath).
const PathOrganizations = "/organizations"

// OrganizationPath is the path of organization id's page.
func OrganizationPath(id string) string { return PathOrganizations + "/" + url.PathEscape(id) }

// Paths of other areas the organization pages send the browser to; those
// areas import this one, so the constants cannot come from them.
const (
	pathHome             = "/"                   // web/account's home page
	pathAccount          = "/account"            // web/account
	pathAcceptInvitation = "/invitations/accept" // web/selfservice
)

// Store is what the organization pages read and write directly; changes
// to organizations go through accounts.Organizations.
type Store interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
	// UpdateSession sets the browser's active organization.
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
}

// Mailer queues a mail rendered from templates/mail (mail.Outbox is one).
type Mailer interface {
	Send(ctx context.Context, to string, data mail.Data) error
}

// Pages serves the organization pages. Build it with New.
type Pages struct {
	Site  *page.Site
	Store Store
	Orgs  *accounts.Organizations
	// Mailer sends invitations; nil turns invitations off (no form, and
	// an invitation posted anyway is refused).
	Mailer Mailer
	// SSO is the single sign-on panel (an *SSO); nil is an instance
	// without organization single sign-on.
	SSO SingleSignOn
	// Provisioning is the organizations' SCIM tokens; nil hides the panel.
	Provisioning Provisioning
	// ScimBaseURL is the SCIM service's URL (issuer + /scim/v2); an
	// organization's is below it.
	ScimBaseURL string

	invites bool
}

// New checks p's dependencies and settles the optional ones.
func New(p Pages) (*Pages, error) {
	var missing []string
	if p.Site == nil {
		missing = append(missing, "Site")
	}
	if p.Store == nil {
		missing = append(missing, "Store")
	}
	if p.Orgs == nil {
		missing = append(missing, "Orgs")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("orgs: missing %s", strings.Join(missing, ", "))
	}
	if p.SSO == nil {
		p.SSO = noSSO{}
	}
	p.invites = p.Mailer != nil
	return &p, nil
}

// Routes are the organization pages. A POST carries an action field that
// says which of the page's forms was sent.
func (p *Pages) Routes() []page.Route {
	return []page.Route{
		page.Get(PathOrganizations, p.Site.SignedIn(p.list)),
		page.Post(PathOrganizations, p.Site.SignedInForm(p.listPost)),
		page.Get(PathOrganizations+"/{id}", p.Site.SignedIn(p.settings)),
		page.Post(PathOrganizations+"/{id}", p.Site.SignedInForm(p.settingsPost)),
	}
}

type listPage struct {
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
var notices = map[string]string{
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
	"scim_revoked": "SCIM token revoked. The directory's next request is refused.",
}

// list serves GET /organizations: the signed-in user's organizations,
// which one is active in this browser, and a form to create one.
func (p *Pages) list(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	return p.renderList(w, r, sess, user, listPage{}, http.StatusOK)
}

// listPost serves POST /organizations: action "switch" makes org_id the
// browser's active organization, "create" creates one named name.
func (p *Pages) listPost(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "switch":
		orgID := r.PostFormValue("org_id")
		if _, err := p.Store.GetMembership(ctx, orgID, user.ID); err != nil {
			if !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("orgs: read membership: %w", err)
			}
			return p.renderList(w, r, sess, user, listPage{Error: "Choose one of your organizations."}, http.StatusUnprocessableEntity)
		}
		err := p.Store.UpdateSession(ctx, sess.ID, func(s storage.Session) (storage.Session, error) {
			s.OrgID = orgID
			return s, nil
		})
		if err != nil {
			return fmt.Errorf("orgs: set active organization: %w", err)
		}
		// The account page's switcher comes back to the account page.
		if r.PostFormValue("return_to") == "account" {
			return page.RedirectSeeOther(w, r, p.Site.Path(pathAccount+"?done=org"))
		}
		return page.RedirectSeeOther(w, r, p.Site.Path(PathOrganizations+"?done=switched"))
	case "create":
		name := r.PostFormValue("name")
		org, err := p.Orgs.Create(ctx, accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}, name)
		if err == nil {
			return page.RedirectSeeOther(w, r, p.Site.Path(OrganizationPath(org.ID))+"?done=created")
		}
		msg, ok := RuleMessage(err, "An organization with that name exists already. Choose another name.")
		if !ok {
			return err
		}
		return p.renderList(w, r, sess, user, listPage{Error: msg, NewName: name}, http.StatusUnprocessableEntity)
	}
	return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
}

func (p *Pages) renderList(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User, data listPage, status int) error {
	ms, err := p.Store.ListMembershipsByUser(r.Context(), user.ID)
	if err != nil {
		return fmt.Errorf("orgs: list memberships: %w", err)
	}
	for _, m := range ms {
		data.Orgs = append(data.Orgs, orgRow{ID: m.OrgID, Name: page.OrgName(m), Role: m.Role,
			URL: p.Site.Path(OrganizationPath(m.OrgID)), Active: m.OrgID == sess.OrgID})
	}
	data.Notice = notices[r.URL.Query().Get("done")]
	data.Title, data.Action, data.AccountURL = "Organizations", p.Site.Path(PathOrganizations), p.Site.Path(pathHome)
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "orgs", data)
}

// RuleMessage turns a refusal by the organization rules into words for a
// page; ok is false for anything else (a failure to report as such).
// taken is the message for a name or member that exists already.
func RuleMessage(err error, taken string) (msg string, ok bool) {
	switch {
	case errors.Is(err, accounts.ErrLastOwner):
		return "An organization needs at least one owner: make someone else an owner first.", true
	case errors.Is(err, accounts.ErrForbidden):
		return "Your role in this organization does not allow that.", true
	case errors.Is(err, accounts.ErrInvitationGone):
		return "This invitation is no longer valid: it was used, replaced by a newer one, or it expired.", true
	case errors.Is(err, accounts.ErrInvalid):
		return invalidMessage(err), true
	case errors.Is(err, storage.ErrAlreadyExists):
		return taken, true
	case errors.Is(err, storage.ErrConflict):
		return "Members still hold that role. Give them another role first.", true
	case errors.Is(err, storage.ErrNotFound):
		return "That member or role no longer exists. Reload the page.", true
	}
	return "", false
}

// invalidMessage is the rule's own sentence for an accounts.ErrInvalid
// refusal (provider/fault).
func invalidMessage(err error) string {
	return fault.Message(err, "The change was refused. Check the form and try again.")
}
