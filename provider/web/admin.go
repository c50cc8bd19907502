package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// PathAdmin is where the admin pages live under the issuer.
const PathAdmin = "/admin"

// AdminStore is what the admin pages read and write besides the pages'
// Store: whole lists for the instance, clients and the audit log.
type AdminStore interface {
	ListUsers(ctx context.Context) ([]storage.User, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	ListClients(ctx context.Context) ([]storage.Client, error)
	GetClient(ctx context.Context, id string) (storage.Client, error)
	CreateClient(ctx context.Context, c storage.Client) error
	UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error
	DeleteClient(ctx context.Context, id string) error
	ListOrgs(ctx context.Context) ([]storage.Organization, error)
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
	ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error)
}

// KeyRing lists and rotates the signing keys; *keys.Manager is one.
type KeyRing interface {
	List(ctx context.Context) ([]keys.KeyInfo, error)
	Rotate(ctx context.Context) (storage.SigningKey, error)
}

// Admin serves the instance administrators' pages under /admin. It renders
// through Pages (same layout, error pages and CSRF) and changes things
// through the same services as the CLI: provider/clients for client rules,
// accounts.People and accounts.Organizations for people and organizations,
// KeyRing for keys.
type Admin struct {
	Pages *Pages
	Store AdminStore
	Keys  KeyRing
	// Ops makes the changes to clients and keys, with the rules and audit
	// events of the CLI and the admin API.
	Ops AdminOps
}

// AdminOps changes clients and keys (*adminapi.Service is one).
type AdminOps interface {
	StoreClient(ctx context.Context, a accounts.Actor, c storage.Client) error
	RotateClientSecret(ctx context.Context, a accounts.Actor, id string) (string, error)
	DeleteClient(ctx context.Context, a accounts.Actor, id string) error
	RotateKey(ctx context.Context, a accounts.Actor) (storage.SigningKey, error)
}

// Mount registers the admin routes; handle is the provider's route helper
// (it adds the issuer's path and the page headers).
func (a *Admin) Mount(handle func(pattern string, h http.HandlerFunc)) {
	if a.Pages == nil || a.Store == nil || a.Keys == nil || a.Ops == nil {
		panic("web: Admin needs Pages, Store, Keys and Ops") // a wiring mistake, found at start
	}
	handle(PathAdmin, a.serve(a.dashboard))
	handle(PathAdmin+"/clients", a.serve(a.clientList))
	handle(PathAdmin+"/clients/new", a.serve(a.clientNew))
	handle(PathAdmin+"/clients/{id}", a.serve(a.clientDetail))
	handle(PathAdmin+"/users", a.serve(a.userList))
	handle(PathAdmin+"/users/{id}", a.serve(a.userDetail))
	handle(PathAdmin+"/organizations", a.serve(a.orgList))
	handle(PathAdmin+"/keys", a.serve(a.keyList))
	handle(PathAdmin+"/audit", a.serve(a.auditLog))
}

// adminRequest is one request by a signed-in instance administrator.
type adminRequest struct {
	w     http.ResponseWriter
	r     *http.Request
	sess  storage.Session
	user  storage.User
	actor accounts.Actor
}

// serve checks that the visitor is a signed-in, enabled instance
// administrator (signed out: to the login page and back; anybody else: 403)
// and that a POST carries the form's CSRF token, before h runs.
func (a *Admin) serve(h func(ar *adminRequest) error) http.HandlerFunc {
	p := a.Pages
	return p.site.Handle(func(w http.ResponseWriter, r *http.Request) error {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
		}
		sess, user, ok, err := p.site.CurrentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return p.site.SignInFirst(w, r)
		}
		if !user.Admin {
			return page.Show(http.StatusForbidden, "Administrators only",
				"These pages are for the administrators of this Ostiary instance. Ask one if you need a change.")
		}
		if r.Method == http.MethodPost {
			if err := p.Sessions.CheckCSRF(r); err != nil {
				return err
			}
		}
		return h(&adminRequest{w: w, r: r, sess: sess, user: user,
			actor: accounts.Actor{ID: user.ID, IP: p.Sessions.RemoteIP(r)}})
	})
}

// adminNav is the menu on top of every admin page.
type adminNav struct {
	Links []navLink
}

type navLink struct {
	Label, URL string
	Current    bool
}

func (a *Admin) nav(current string) adminNav {
	items := []struct{ label, local string }{
		{"Dashboard", ""}, {"Clients", "/clients"}, {"People", "/users"},
		{"Organizations", "/organizations"}, {"Keys", "/keys"}, {"Audit log", "/audit"},
	}
	var n adminNav
	for _, it := range items {
		n.Links = append(n.Links, navLink{Label: it.label, URL: a.Pages.site.Path(PathAdmin + it.local), Current: it.local == current})
	}
	return n
}

// adminNotices are the messages a redirect after a change may ask for, by
// code, so nobody can make the pages say what they like.
var adminNotices = map[string]string{
	"client_deleted": "Client deleted. It can no longer sign people in or get tokens.",
	"disabled":       "Account disabled. Their sessions and tokens ended.",
	"enabled":        "Account enabled. They can sign in again.",
	"deleted":        "Account deleted.",
	"sessions_ended": "Sessions ended. They must sign in again everywhere.",
	"rotated":        "New signing key published. It starts signing once caches have seen it.",
	"org_created":    "Organization created. You are its owner.",
}

func (ar *adminRequest) notice() string { return adminNotices[ar.r.URL.Query().Get("done")] }

func (a *Admin) redirectDone(ar *adminRequest, local, done string) error {
	target := a.Pages.site.Path(PathAdmin + local)
	if done != "" {
		target += "?done=" + url.QueryEscape(done)
	}
	return page.RedirectSeeOther(ar.w, ar.r, target)
}

func notFound(what string, err error) error {
	if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("web: admin: read %s: %w", what, err)
	}
	return &page.Error{Status: http.StatusNotFound, Title: "Not found", Detail: "There is no such " + what + ". It may have been deleted.", Err: err}
}
