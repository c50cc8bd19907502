// Package admin serves the instance administrators' pages under /admin:
// the dashboard, clients, users, organizations, signing keys and the audit
// log. They change things through the same services as the CLI and the
// admin API (adminapi.Service, accounts.Users), so every door applies the
// same rules and writes the same audit events; an organization's members
// and roles are managed on its own page (web/orgs), where an instance
// administrator acts as an owner.
package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// PathAdmin is the dashboard; the other admin pages are below it.
const PathAdmin = "/admin"

// pathHome is the home page, which links here (so its package imports
// this one, and the constant cannot come from there).
const pathHome = "/"

// Store is what the admin pages read: whole lists for the instance.
type Store interface {
	ListUsers(ctx context.Context) ([]storage.User, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	ListClients(ctx context.Context) ([]storage.Client, error)
	GetClient(ctx context.Context, id string) (storage.Client, error)
	ListOrgs(ctx context.Context) ([]storage.Organization, error)
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
	ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error)
}

// KeyRing lists the signing keys; *keys.Manager is one.
type KeyRing interface {
	List(ctx context.Context) ([]keys.KeyInfo, error)
}

// Ops changes clients, keys and organizations with the rules and audit
// events of the CLI and the admin API; *adminapi.Service is one.
type Ops interface {
	StoreClient(ctx context.Context, a accounts.Actor, c storage.Client) error
	RotateClientSecret(ctx context.Context, a accounts.Actor, id string) (string, error)
	DeleteClient(ctx context.Context, a accounts.Actor, id string) error
	RotateKey(ctx context.Context, a accounts.Actor) (storage.SigningKey, error)
	CreateOrg(ctx context.Context, a accounts.Actor, name string, requireMFA bool) (storage.Organization, error)
	// ResetMFA removes the user's second factor and passkeys and ends
	// their sessions; fault.NotFound when they had neither.
	ResetMFA(ctx context.Context, a accounts.Actor, userID string) error
	UpdateOrg(ctx context.Context, a accounts.Actor, id string, p adminapi.OrgPatch) (storage.Organization, error)
	UpdateMember(ctx context.Context, a accounts.Actor, orgID, userID string, p adminapi.MemberPatch) error
	ListAPIs(ctx context.Context) ([]storage.API, error)
	CreateAPI(ctx context.Context, a accounts.Actor, sp adminapi.APISpec) (storage.API, error)
	DeleteAPI(ctx context.Context, a accounts.Actor, identifier string) error
}

// Passkeys lists and removes a user's passkeys, auditing the removal;
// *passkey.Service is one (the admin API and the CLI use the same).
type Passkeys interface {
	List(ctx context.Context, userID string) ([]storage.Passkey, error)
	Remove(ctx context.Context, actor accounts.Actor, userID, id string) error
}

// UserChanges disables, enables, signs out and deletes users, auditing
// each change; *accounts.Users is one (the admin API uses the same).
type UserChanges interface {
	Disable(ctx context.Context, a accounts.Actor, userID string) error
	Enable(ctx context.Context, a accounts.Actor, userID string) error
	EndSessions(ctx context.Context, a accounts.Actor, userID, exceptSessionID string) (int, error)
	Delete(ctx context.Context, a accounts.Actor, userID string) error
	SetAttributes(ctx context.Context, a accounts.Actor, userID string, c accounts.AttributeChange) (storage.User, error)
}

// Pages serves the admin pages. Every field is required: Routes panics
// on a missing one, a wiring mistake found at start.
type Pages struct {
	Site     *page.Site
	Store    Store
	Keys     KeyRing
	Ops      Ops
	Users    UserChanges
	Passkeys Passkeys
}

// Routes are the admin pages. Each needs a signed-in, enabled instance
// administrator; a POST names its form in the action field where a page
// has several.
func (a *Pages) Routes() []page.Route {
	if a.Site == nil || a.Store == nil || a.Keys == nil || a.Ops == nil || a.Users == nil || a.Passkeys == nil {
		panic("admin: Pages needs Site, Store, Keys, Ops, Users and Passkeys") // a wiring mistake, found at start
	}
	return []page.Route{
		page.Get(PathAdmin, a.view(a.dashboard)),
		page.Get(PathAdmin+"/clients", a.view(a.clientList)),
		page.Get(PathAdmin+"/clients/new", a.view(a.clientNew)),
		page.Post(PathAdmin+"/clients/new", a.form(a.clientCreate)),
		page.Get(PathAdmin+"/clients/{id}", a.view(a.clientDetail)),
		page.Post(PathAdmin+"/clients/{id}", a.form(a.clientChange)),
		page.Get(PathAdmin+"/users", a.view(a.userList)),
		page.Get(PathAdmin+"/users/{id}", a.view(a.userDetail)),
		page.Post(PathAdmin+"/users/{id}", a.form(a.userChange)),
		page.Get(PathAdmin+"/organizations", a.view(a.orgList)),
		page.Post(PathAdmin+"/organizations", a.form(a.orgCreate)),
		page.Get(PathAdmin+"/keys", a.view(a.keyList)),
		page.Post(PathAdmin+"/keys", a.form(a.keyRotate)),
		page.Get(PathAdmin+"/apis", a.view(a.apiList)),
		page.Post(PathAdmin+"/apis", a.form(a.apiChange)),
		page.Get(PathAdmin+"/audit", a.view(a.auditLog)),
	}
}

// request is one request by a signed-in instance administrator.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	user  storage.User
	actor accounts.Actor
}

// view runs h once the visitor is known to be a signed-in, enabled
// instance administrator (signed out: to the login page and back; anybody
// else: 403).
func (a *Pages) view(h func(ar *request) error) page.HandlerFunc {
	return a.Site.SignedIn(func(w http.ResponseWriter, r *http.Request, _ storage.Session, user storage.User) error {
		if !user.Admin {
			return page.Show(http.StatusForbidden, "Administrators only",
				"These pages are for the administrators of this Ostiary instance. Ask one if you need a change.")
		}
		return h(&request{w: w, r: r, user: user, actor: accounts.Actor{ID: user.ID, IP: a.Site.Sessions().RemoteIP(r)}})
	})
}

// form is view for a form post, which must carry the page's CSRF token.
func (a *Pages) form(h func(ar *request) error) page.HandlerFunc {
	return a.view(func(ar *request) error {
		if err := a.Site.Sessions().CheckCSRF(ar.r); err != nil {
			return err
		}
		return h(ar)
	})
}

// path is an admin page's absolute path.
func (a *Pages) path(local string) string { return a.Site.Path(PathAdmin + local) }

func (a *Pages) csrf(ar *request) string { return a.Site.Sessions().CSRFToken(ar.w, ar.r) }

// nav is the menu on top of every admin page.
type nav struct {
	Links []navLink
}

type navLink struct {
	Label, URL string
	Current    bool
}

func (a *Pages) nav(current string) nav {
	items := []struct{ label, local string }{
		{"Dashboard", ""}, {"Clients", "/clients"}, {"Users", "/users"},
		{"Organizations", "/organizations"}, {"APIs", "/apis"}, {"Keys", "/keys"}, {"Audit log", "/audit"},
	}
	var n nav
	for _, it := range items {
		n.Links = append(n.Links, navLink{Label: it.label, URL: a.path(it.local), Current: it.local == current})
	}
	return n
}

// notices are the messages a redirect after a change may ask for, by
// code, so nobody can make the pages say what they like.
var notices = map[string]string{
	"client_deleted":   "Client deleted. It can no longer sign users in or get tokens.",
	"disabled":         "Account disabled. Their sessions and tokens ended.",
	"enabled":          "Account enabled. They can sign in again.",
	"deleted":          "Account deleted.",
	"sessions_ended":   "Sessions ended. They must sign in again everywhere.",
	"passkey_removed":  "Passkey removed. It can no longer sign in to this account.",
	"mfa_reset":        "Two-step verification and passkeys removed; every session and token ended.",
	"attributes_saved": "Attributes saved. New tokens carry them.",
	"org_requirement":  "Sign-in requirement changed. Members' sessions and grants without it now stop at the next sign-in or refresh.",
	"rotated":          "New signing key published. It starts signing once caches have seen it.",
	"org_created":      "Organization created. You are its owner.",
	"api_created":      "API registered. Grant it to clients with ostiary clients update --api.",
	"api_deleted":      "API deleted. No client can get new tokens for it.",
}

func (ar *request) notice() string { return notices[ar.r.URL.Query().Get("done")] }

func (a *Pages) redirectDone(ar *request, local, done string) error {
	target := a.path(local)
	if done != "" {
		target += "?done=" + url.QueryEscape(done)
	}
	return page.RedirectSeeOther(ar.w, ar.r, target)
}

// unknownAction answers a form post whose action field names no form of
// the page.
func unknownAction() error {
	return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
}

func notFound(what string, err error) error {
	if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("admin: read %s: %w", what, err)
	}
	return &page.Error{Status: http.StatusNotFound, Title: "Not found", Detail: "There is no such " + what + ". It may have been deleted.", Err: err}
}

// when is an admin page's time: UTC to the minute, empty for none.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
