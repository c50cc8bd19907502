package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type clientsPage struct {
	Title, Notice, NewURL string
	Nav                   nav
	Clients               []clientRow
}

type clientRow struct {
	ID, Name, Kind, Grants, URL, Org string
	FirstParty                       bool
}

func (a *Pages) clientURL(id string) string { return a.path("/clients/" + url.PathEscape(id)) }

func clientKind(c storage.Client) string {
	if c.Public {
		return "public"
	}
	return "confidential"
}

// clientList serves GET /admin/clients.
func (a *Pages) clientList(ar *request) error {
	cs, err := a.Store.ListClients(ar.r.Context())
	if err != nil {
		return fmt.Errorf("admin: list clients: %w", err)
	}
	data := clientsPage{Title: "Clients", Nav: a.nav("/clients"), Notice: ar.notice(), NewURL: a.path("/clients/new")}
	for _, c := range cs {
		data.Clients = append(data.Clients, clientRow{ID: c.ID, Name: c.Name, Kind: clientKind(c),
			Grants: strings.Join(c.GrantTypes, ", "), URL: a.clientURL(c.ID), Org: c.OrgID, FirstParty: c.FirstParty})
	}
	return a.Site.Render(ar.w, http.StatusOK, "admin_clients", data)
}

// clientForm is the new client form as typed, to show again on an error.
type clientForm struct {
	Name, Kind, AuthMethod, RedirectURIs, PostLogoutRedirectURIs, CORSOrigins string
	Scopes, OrgID, BackchannelLogoutURI                                       string
	FirstParty, PKCEOptional                                                  bool
	Grants                                                                    map[string]bool
}

type clientNewPage struct {
	Title, CSRF, Action, CancelURL string
	Nav                            nav
	Errors                         []string
	Form                           clientForm
	Grants                         []grantChoice
	Orgs                           []orgOption
	DefaultScopes                  string
}

type grantChoice struct {
	Value, Label, Help string
}

type orgOption struct{ ID, Name string }

var grantChoices = []grantChoice{
	{clients.GrantAuthorizationCode, "Authorization code", "Users sign in through the browser (with PKCE). Needs a redirect URI."},
	{clients.GrantRefreshToken, "Refresh token", "The client keeps a session without asking again; rotated at every use."},
	{clients.GrantClientCredentials, "Client credentials", "A service acts as itself, no user involved. Confidential clients only."},
	{clients.GrantTokenExchange, "Token exchange", "Scripts trade a user's personal access token for an access token (RFC 8693)."},
	{clients.GrantDeviceCode, "Device code", "Command-line tools and TVs sign in by showing a code the user approves on /device (RFC 8628)."},
}

func (f clientForm) spec() clients.Spec {
	spec := clients.Spec{
		Name: f.Name, Public: f.Kind == "public", FirstParty: f.FirstParty, PKCEOptional: f.PKCEOptional,
		RedirectURIs: lines(f.RedirectURIs), PostLogoutRedirectURIs: lines(f.PostLogoutRedirectURIs),
		CORSOrigins: lines(f.CORSOrigins), Scopes: strings.Fields(f.Scopes),
		BackchannelLogoutURI: strings.TrimSpace(f.BackchannelLogoutURI), OrgID: f.OrgID,
	}
	if !spec.Public {
		spec.TokenEndpointAuthMethod = f.AuthMethod
	}
	for _, g := range grantChoices {
		if f.Grants[g.Value] {
			spec.GrantTypes = append(spec.GrantTypes, g.Value)
		}
	}
	return spec
}

// clientNew serves GET /admin/clients/new: the form, filled with the
// defaults.
func (a *Pages) clientNew(ar *request) error {
	form := clientForm{Kind: "confidential", AuthMethod: clients.AuthSecretBasic, Scopes: strings.Join(clients.DefaultScopes, " "),
		Grants: map[string]bool{clients.GrantAuthorizationCode: true, clients.GrantRefreshToken: true}}
	return a.renderClientNew(ar, form, nil, http.StatusOK)
}

// clientCreate serves POST /admin/clients/new. The metadata goes through
// clients.Build, the rules the CLI and the admin API apply; any problem is
// listed on the form and nothing is stored. A confidential client's secret
// is handed to its detail page once (Sessions.Reveal) and exists nowhere
// but as a hash afterwards.
func (a *Pages) clientCreate(ar *request) error {
	r := ar.r
	f := clientForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), AuthMethod: r.PostFormValue("auth_method"),
		RedirectURIs: r.PostFormValue("redirect_uris"), PostLogoutRedirectURIs: r.PostFormValue("post_logout_redirect_uris"),
		CORSOrigins: r.PostFormValue("cors_origins"), Scopes: r.PostFormValue("scopes"), OrgID: r.PostFormValue("org_id"),
		BackchannelLogoutURI: r.PostFormValue("backchannel_logout_uri"), FirstParty: r.PostFormValue("first_party") == "on",
		PKCEOptional: r.PostFormValue("pkce_optional") == "on", Grants: map[string]bool{}}
	for _, g := range r.PostForm["grant_types"] {
		f.Grants[g] = true
	}
	c, secret, errs := a.buildClient(r.Context(), f)
	if len(errs) > 0 {
		return a.renderClientNew(ar, f, errs, http.StatusUnprocessableEntity)
	}
	if err := a.Ops.StoreClient(r.Context(), ar.actor, c); err != nil {
		return fmt.Errorf("admin: create client: %w", err)
	}
	if secret != "" {
		if err := a.Site.Sessions().Reveal(ar.w, a.clientURL(c.ID), c.ID, secret); err != nil {
			return fmt.Errorf("admin: hand over the client secret: %w", err)
		}
	}
	return page.RedirectSeeOther(ar.w, r, a.clientURL(c.ID)+"?done=created")
}

func (a *Pages) renderClientNew(ar *request, f clientForm, errs []string, status int) error {
	orgList, err := a.Store.ListOrgs(ar.r.Context())
	if err != nil {
		return fmt.Errorf("admin: list organizations: %w", err)
	}
	data := clientNewPage{Title: "New client", Nav: a.nav("/clients"), Action: a.path("/clients/new"),
		CancelURL: a.path("/clients"), Grants: grantChoices, DefaultScopes: strings.Join(clients.DefaultScopes, " "),
		Form: f, Errors: errs}
	for _, o := range orgList {
		data.Orgs = append(data.Orgs, orgOption{ID: o.ID, Name: o.Name})
	}
	data.CSRF = a.csrf(ar)
	return a.Site.Render(ar.w, status, "admin_client_new", data)
}

// buildClient applies the client rules and checks the organization and the
// form's own choices; errs is what to tell the admin.
func (a *Pages) buildClient(ctx context.Context, f clientForm) (storage.Client, string, []string) {
	var errs []string
	if f.Kind != "public" && f.Kind != "confidential" {
		errs = append(errs, "type: choose confidential or public")
	}
	if f.Kind == "confidential" && f.AuthMethod != clients.AuthSecretBasic && f.AuthMethod != clients.AuthSecretPost {
		errs = append(errs, "secret sent as: choose HTTP Basic or form body")
	}
	c, secret, err := clients.Build(f.spec(), a.Site.Now())
	if err != nil {
		errs = append(errs, fault.Details(err)...)
	}
	if f.OrgID != "" {
		if _, err := a.Store.GetOrg(ctx, f.OrgID); err != nil {
			errs = append(errs, "organization: choose one from the list")
		}
	}
	return c, secret, errs
}

type clientPage struct {
	Title, CSRF, Action, Notice, Error string
	Nav                                nav
	Client                             storage.Client
	Kind, Created, OrgName, OrgURL     string
	// Secret is set only on the one view right after it was made.
	Secret            string
	CanRotate         bool
	ListURL, TokenURL string
}

var clientNotices = map[string]string{
	"created":        "Client created.",
	"secret_rotated": "New secret made. The old one no longer works.",
}

// client reads the client of the page's {id}.
func (a *Pages) client(ar *request) (storage.Client, error) {
	c, err := a.Store.GetClient(ar.r.Context(), ar.r.PathValue("id"))
	if err != nil {
		return storage.Client{}, notFound("client", err)
	}
	return c, nil
}

func canRotate(c storage.Client) bool {
	return !c.Public && c.TokenEndpointAuthMethod != clients.AuthPrivateKeyJWT
}

// clientDetail serves GET /admin/clients/{id}: the registration, and the
// secret once after creation or rotation.
func (a *Pages) clientDetail(ar *request) error {
	c, err := a.client(ar)
	if err != nil {
		return err
	}
	data := clientPage{Notice: clientNotices[ar.r.URL.Query().Get("done")]}
	if secret, ok := a.Site.Sessions().TakeReveal(ar.w, ar.r, a.clientURL(c.ID), c.ID); ok {
		data.Secret = secret
	}
	return a.renderClient(ar, c, data, http.StatusOK)
}

// clientChange serves POST /admin/clients/{id}: action rotate_secret or
// delete.
func (a *Pages) clientChange(ar *request) error {
	c, err := a.client(ar)
	if err != nil {
		return err
	}
	switch ar.r.PostFormValue("action") {
	case "rotate_secret":
		if !canRotate(c) {
			return page.Show(http.StatusBadRequest, "This client has no secret", "Public and private_key_jwt clients do not use a secret.")
		}
		return a.rotateSecret(ar, c)
	case "delete":
		if strings.TrimSpace(ar.r.PostFormValue("confirm")) != c.Name {
			return a.renderClient(ar, c, clientPage{Error: "Type the client's name exactly to delete it."}, http.StatusUnprocessableEntity)
		}
		return a.deleteClient(ar, c)
	}
	return unknownAction()
}

func (a *Pages) renderClient(ar *request, c storage.Client, data clientPage, status int) error {
	data.Title, data.Nav, data.Action, data.Client = c.Name, a.nav("/clients"), a.clientURL(c.ID), c
	data.Kind, data.Created, data.ListURL = clientKind(c), when(c.CreatedAt), a.path("/clients")
	data.TokenURL, data.CanRotate = a.Site.Link(discovery.PathToken, nil), canRotate(c)
	if c.OrgID != "" {
		data.OrgName, data.OrgURL = c.OrgID, a.Site.Path(orgs.OrganizationPath(c.OrgID))
		if o, err := a.Store.GetOrg(ar.r.Context(), c.OrgID); err == nil {
			data.OrgName = o.Name
		}
	}
	data.CSRF = a.csrf(ar)
	return a.Site.Render(ar.w, status, "admin_client", data)
}

func (a *Pages) rotateSecret(ar *request, c storage.Client) error {
	secret, err := a.Ops.RotateClientSecret(ar.r.Context(), ar.actor, c.ID)
	if err != nil {
		return fmt.Errorf("admin: rotate client secret: %w", err)
	}
	if err := a.Site.Sessions().Reveal(ar.w, a.clientURL(c.ID), c.ID, secret); err != nil {
		return fmt.Errorf("admin: hand over the client secret: %w", err)
	}
	return page.RedirectSeeOther(ar.w, ar.r, a.clientURL(c.ID)+"?done=secret_rotated")
}

// deleteClient removes the registration, as `ostiary clients delete` does:
// tokens are checked against their client, so none works after this.
func (a *Pages) deleteClient(ar *request, c storage.Client) error {
	// Deleted meanwhile by someone else: the admin's wish holds either way.
	if err := a.Ops.DeleteClient(ar.r.Context(), ar.actor, c.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("admin: delete client: %w", err)
	}
	return a.redirectDone(ar, "/clients", "client_deleted")
}
