package web

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
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type adminClientsPage struct {
	Title, Notice, NewURL string
	Nav                   adminNav
	Clients               []clientRow
}

type clientRow struct {
	ID, Name, Kind, Grants, URL, Org string
	FirstParty                       bool
}

func (a *Admin) clientURL(id string) string {
	return a.Pages.site.Path(PathAdmin + "/clients/" + url.PathEscape(id))
}

func clientKind(c storage.Client) string {
	if c.Public {
		return "public"
	}
	return "confidential"
}

// clientList serves GET /admin/clients.
func (a *Admin) clientList(ar *adminRequest) error {
	if ar.r.Method == http.MethodPost {
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "Create clients on the new client page.")
	}
	cs, err := a.Store.ListClients(ar.r.Context())
	if err != nil {
		return fmt.Errorf("web: admin: list clients: %w", err)
	}
	data := adminClientsPage{Title: "Clients", Nav: a.nav("/clients"), Notice: ar.notice(),
		NewURL: a.Pages.site.Path(PathAdmin + "/clients/new")}
	for _, c := range cs {
		data.Clients = append(data.Clients, clientRow{ID: c.ID, Name: c.Name, Kind: clientKind(c),
			Grants: strings.Join(c.GrantTypes, ", "), URL: a.clientURL(c.ID), Org: c.OrgID, FirstParty: c.FirstParty})
	}
	return a.Pages.site.Render(ar.w, http.StatusOK, "admin_clients", data)
}

// clientForm is the new client form as typed, to show again on an error.
type clientForm struct {
	Name, Kind, AuthMethod, RedirectURIs, PostLogoutRedirectURIs, CORSOrigins string
	Scopes, OrgID, BackchannelLogoutURI                                       string
	FirstParty, PKCEOptional                                                  bool
	Grants                                                                    map[string]bool
}

type adminClientNewPage struct {
	Title, CSRF, Action, CancelURL string
	Nav                            adminNav
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
	{clients.GrantAuthorizationCode, "Authorization code", "People sign in through the browser (with PKCE). Needs a redirect URI."},
	{clients.GrantRefreshToken, "Refresh token", "The client keeps a session without asking again; rotated at every use."},
	{clients.GrantClientCredentials, "Client credentials", "A service acts as itself, no person involved. Confidential clients only."},
	{clients.GrantTokenExchange, "Token exchange", "Scripts trade a person's personal access token for an access token (RFC 8693)."},
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

// clientNew serves GET and POST /admin/clients/new. The metadata goes
// through clients.Build, the rules the CLI and the admin API apply; any
// problem is listed on the form and nothing is stored. A confidential
// client's secret is handed to its detail page once (Sessions.Reveal) and
// exists nowhere but as a hash afterwards.
func (a *Admin) clientNew(ar *adminRequest) error {
	p, ctx, r := a.Pages, ar.r.Context(), ar.r
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("web: admin: list organizations: %w", err)
	}
	data := adminClientNewPage{Title: "New client", Nav: a.nav("/clients"), Action: p.site.Path(PathAdmin + "/clients/new"),
		CancelURL: p.site.Path(PathAdmin + "/clients"), Grants: grantChoices, DefaultScopes: strings.Join(clients.DefaultScopes, " "),
		Form: clientForm{Kind: "confidential", AuthMethod: clients.AuthSecretBasic, Scopes: strings.Join(clients.DefaultScopes, " "),
			Grants: map[string]bool{clients.GrantAuthorizationCode: true, clients.GrantRefreshToken: true}}}
	for _, o := range orgs {
		data.Orgs = append(data.Orgs, orgOption{ID: o.ID, Name: o.Name})
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		f := clientForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), AuthMethod: r.PostFormValue("auth_method"),
			RedirectURIs: r.PostFormValue("redirect_uris"), PostLogoutRedirectURIs: r.PostFormValue("post_logout_redirect_uris"),
			CORSOrigins: r.PostFormValue("cors_origins"), Scopes: r.PostFormValue("scopes"), OrgID: r.PostFormValue("org_id"),
			BackchannelLogoutURI: r.PostFormValue("backchannel_logout_uri"), FirstParty: r.PostFormValue("first_party") == "on",
			PKCEOptional: r.PostFormValue("pkce_optional") == "on", Grants: map[string]bool{}}
		for _, g := range r.PostForm["grant_types"] {
			f.Grants[g] = true
		}
		data.Form = f
		c, secret, errs := a.buildClient(ctx, f)
		if len(errs) == 0 {
			return a.createClient(ar, c, secret)
		}
		data.Errors, status = errs, http.StatusUnprocessableEntity
	}
	data.CSRF = p.Sessions.CSRFToken(ar.w, r)
	return p.site.Render(ar.w, status, "admin_client_new", data)
}

// buildClient applies the client rules and checks the organization and the
// form's own choices; errs is what to tell the admin.
func (a *Admin) buildClient(ctx context.Context, f clientForm) (storage.Client, string, []string) {
	var errs []string
	if f.Kind != "public" && f.Kind != "confidential" {
		errs = append(errs, "type: choose confidential or public")
	}
	if f.Kind == "confidential" && f.AuthMethod != clients.AuthSecretBasic && f.AuthMethod != clients.AuthSecretPost {
		errs = append(errs, "secret sent as: choose HTTP Basic or form body")
	}
	c, secret, err := clients.Build(f.spec(), a.Pages.Now())
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

func (a *Admin) createClient(ar *adminRequest, c storage.Client, secret string) error {
	p, ctx := a.Pages, ar.r.Context()
	if err := a.Ops.StoreClient(ctx, ar.actor, c); err != nil {
		return fmt.Errorf("web: admin: create client: %w", err)
	}
	if secret != "" {
		if err := p.Sessions.Reveal(ar.w, a.clientURL(c.ID), c.ID, secret); err != nil {
			return fmt.Errorf("web: admin: hand over the client secret: %w", err)
		}
	}
	return page.RedirectSeeOther(ar.w, ar.r, a.clientURL(c.ID)+"?done=created")
}

type adminClientPage struct {
	Title, CSRF, Action, Notice, Error string
	Nav                                adminNav
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

// clientDetail serves GET and POST /admin/clients/{id}: the registration,
// the secret once after creation or rotation, rotation and deletion.
func (a *Admin) clientDetail(ar *adminRequest) error {
	p, ctx, r := a.Pages, ar.r.Context(), ar.r
	id := r.PathValue("id")
	c, err := a.Store.GetClient(ctx, id)
	if err != nil {
		return notFound("client", err)
	}
	data := adminClientPage{Title: c.Name, Nav: a.nav("/clients"), Action: a.clientURL(c.ID), Client: c,
		Kind: clientKind(c), Created: adminTime(c.CreatedAt), ListURL: p.site.Path(PathAdmin + "/clients"),
		TokenURL:  strings.TrimSuffix(p.Issuer, "/") + discovery.PathToken,
		CanRotate: !c.Public && c.TokenEndpointAuthMethod != clients.AuthPrivateKeyJWT}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		switch r.PostFormValue("action") {
		case "rotate_secret":
			if !data.CanRotate {
				return page.Show(http.StatusBadRequest, "This client has no secret", "Public and private_key_jwt clients do not use a secret.")
			}
			return a.rotateSecret(ar, c)
		case "delete":
			if strings.TrimSpace(r.PostFormValue("confirm")) != c.Name {
				data.Error, status = "Type the client's name exactly to delete it.", http.StatusUnprocessableEntity
				break
			}
			return a.deleteClient(ar, c)
		default:
			return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
		}
	} else {
		data.Notice = clientNotices[r.URL.Query().Get("done")]
		if secret, ok := p.Sessions.TakeReveal(ar.w, r, a.clientURL(c.ID), c.ID); ok {
			data.Secret = secret
		}
	}
	if c.OrgID != "" {
		data.OrgName, data.OrgURL = c.OrgID, p.orgURL(c.OrgID)
		if o, err := a.Store.GetOrg(ctx, c.OrgID); err == nil {
			data.OrgName = o.Name
		}
	}
	data.CSRF = p.Sessions.CSRFToken(ar.w, r)
	return p.site.Render(ar.w, status, "admin_client", data)
}

func (a *Admin) rotateSecret(ar *adminRequest, c storage.Client) error {
	p := a.Pages
	secret, err := a.Ops.RotateClientSecret(ar.r.Context(), ar.actor, c.ID)
	if err != nil {
		return fmt.Errorf("web: admin: rotate client secret: %w", err)
	}
	if err := p.Sessions.Reveal(ar.w, a.clientURL(c.ID), c.ID, secret); err != nil {
		return fmt.Errorf("web: admin: hand over the client secret: %w", err)
	}
	return page.RedirectSeeOther(ar.w, ar.r, a.clientURL(c.ID)+"?done=secret_rotated")
}

// deleteClient removes the registration, as `ostiary clients delete` does:
// tokens are checked against their client, so none works after this.
func (a *Admin) deleteClient(ar *adminRequest, c storage.Client) error {
	// Deleted meanwhile by someone else: the admin's wish holds either way.
	if err := a.Ops.DeleteClient(ar.r.Context(), ar.actor, c.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("web: admin: delete client: %w", err)
	}
	return a.redirectDone(ar, "/clients", "client_deleted")
}
