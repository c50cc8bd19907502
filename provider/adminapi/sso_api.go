package adminapi

import (
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/storage"
)

// ssoAPI serves the upstream connectors and each organization's single
// sign-on and domains (listConnectors ... removeOrgDomain).
type ssoAPI resource

// ConnectorView is an upstream connector; its client secret is never
// shown, not even on creation (the caller just sent it).
type ConnectorView struct {
	ID             string            `json:"id"`
	Type           string            `json:"type"`
	Name           string            `json:"name"`
	Icon           string            `json:"icon,omitempty"`
	ClientID       string            `json:"client_id"`
	Scopes         []string          `json:"scopes"`
	Claims         connectors.Claims `json:"claims"`
	Issuer         string            `json:"issuer,omitempty"`
	BaseURL        string            `json:"base_url,omitempty"`
	APIURL         string            `json:"api_url,omitempty"`
	UpstreamLogout bool              `json:"upstream_logout"`
	Disabled       bool              `json:"disabled"`
	// SAML is a SAML connector's settings and what its identity provider's
	// administrator enters for us.
	SAML *SAMLConnectorView `json:"saml,omitempty"`
	// Source is "file" (the configuration; read-only here) or "database".
	Source string `json:"source"`
}

// SAMLConnectorView is a SAML connector: its identity provider's metadata
// (by URL, or whether it was given as XML), the signature policy, and our
// service provider's entity id (also its metadata URL) and assertion
// consumer service URL.
type SAMLConnectorView struct {
	MetadataURL       string `json:"metadata_url,omitempty"`
	MetadataXML       bool   `json:"metadata_xml"`
	Signed            string `json:"signed"`
	AllowIDPInitiated bool   `json:"allow_idp_initiated"`
	EntityID          string `json:"entity_id"`
	ACSURL            string `json:"acs_url"`
}

// ViewConnector is c for the API and the CLI.
func ViewConnector(c connectors.Listed) ConnectorView {
	return ConnectorView{ID: c.ID, Type: c.Type, Name: c.Name, Icon: c.Icon, ClientID: c.ClientID,
		Scopes: nonNil(c.Scopes), Claims: c.Claims, Issuer: c.Issuer, BaseURL: c.BaseURL, APIURL: c.APIURL,
		UpstreamLogout: c.UpstreamLogout, Disabled: c.Disabled, Source: c.Source, SAML: viewSAML(c)}
}

func viewSAML(c connectors.Listed) *SAMLConnectorView {
	if c.Type != connectors.TypeSAML {
		return nil
	}
	signed := c.SAML.Signed
	if signed == "" {
		signed = connectors.SAMLSignedAssertion
	}
	return &SAMLConnectorView{MetadataURL: c.SAML.MetadataURL, MetadataXML: c.SAML.MetadataXML != "", Signed: signed,
		AllowIDPInitiated: c.SAML.AllowIDPInitiated, EntityID: c.SAMLEntityID, ACSURL: c.SAMLACSURL}
}

// connectorCreate is createConnector's body: connectors.Config in JSON.
type connectorCreate struct {
	ID             string            `json:"id"`
	Type           string            `json:"type"`
	Name           string            `json:"name"`
	Icon           string            `json:"icon"`
	ClientID       string            `json:"client_id"`
	ClientSecret   string            `json:"client_secret"`
	Scopes         []string          `json:"scopes"`
	Claims         connectors.Claims `json:"claims"`
	Issuer         string            `json:"issuer"`
	BaseURL        string            `json:"base_url"`
	APIURL         string            `json:"api_url"`
	UpstreamLogout bool              `json:"upstream_logout"`
	Disabled       bool              `json:"disabled"`
	SAML           connectors.SAML   `json:"saml"`
}

func (h ssoAPI) listConnectors(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.ListConnectors(r.Context())
	if err != nil {
		return err
	}
	page, err := paginate(r, list, func(c connectors.Listed) string { return c.ID }, ViewConnector)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h ssoAPI) createConnector(w http.ResponseWriter, r *http.Request) error {
	var b connectorCreate
	if err := decode(w, r, &b); err != nil {
		return err
	}
	c, err := h.svc.CreateConnector(r.Context(), h.actor(r), connectors.Config{ID: b.ID, Type: b.Type, Name: b.Name,
		Icon: b.Icon, ClientID: b.ClientID, ClientSecret: b.ClientSecret, Scopes: b.Scopes, Claims: b.Claims,
		Issuer: b.Issuer, BaseURL: b.BaseURL, APIURL: b.APIURL, UpstreamLogout: b.UpstreamLogout, Disabled: b.Disabled, SAML: b.SAML})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ViewConnector(c))
	return nil
}

func (h ssoAPI) getConnector(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.GetConnector(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewConnector(c))
	return nil
}

func (h ssoAPI) deleteConnector(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteConnector(r.Context(), h.actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// OrgSSOView is an organization's single sign-on: Connector is null when
// none is attached.
type OrgSSOView struct {
	OrgID     string            `json:"org_id"`
	Connector *OrgConnectorView `json:"connector"`
	Domains   []OrgDomainView   `json:"domains"`
}

// OrgConnectorView is the connector an organization signs in with.
type OrgConnectorView struct {
	ConnectorID    string            `json:"connector"`
	DefaultRole    string            `json:"default_role"`
	ForbidPassword bool              `json:"forbid_password"`
	GroupRoles     map[string]string `json:"group_roles"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// OrgDomainView is a claimed domain with the DNS record that proves it.
type OrgDomainView struct {
	Domain     string     `json:"domain"`
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	TXTName    string     `json:"txt_name"`
	TXTValue   string     `json:"txt_value"`
	CreatedAt  time.Time  `json:"created_at"`
}

// ViewOrgDomain is d for the API and the CLI.
func ViewOrgDomain(d storage.OrgDomain) OrgDomainView {
	v := OrgDomainView{Domain: d.Domain, Verified: !d.VerifiedAt.IsZero(), TXTName: orgsso.TXTPrefix + d.Domain,
		TXTValue: orgsso.TXTValuePrefix + d.Token, CreatedAt: d.CreatedAt.UTC()}
	if v.Verified {
		at := d.VerifiedAt.UTC()
		v.VerifiedAt = &at
	}
	return v
}

// ViewOrgSSO is the organization's settings for the API and the CLI.
func ViewOrgSSO(orgID string, s orgsso.Settings) OrgSSOView {
	v := OrgSSOView{OrgID: orgID, Domains: make([]OrgDomainView, len(s.Domains))}
	for i, d := range s.Domains {
		v.Domains[i] = ViewOrgDomain(d)
	}
	if c := s.Connector; c != nil {
		roles := c.GroupRoles
		if roles == nil {
			roles = map[string]string{}
		}
		v.Connector = &OrgConnectorView{ConnectorID: c.ConnectorID, DefaultRole: c.DefaultRole,
			ForbidPassword: c.ForbidPassword, GroupRoles: roles, UpdatedAt: c.UpdatedAt.UTC()}
	}
	return v
}

func (h ssoAPI) getOrgSSO(w http.ResponseWriter, r *http.Request) error {
	org := r.PathValue("id")
	s, err := h.svc.OrgSSO(r.Context(), h.actor(r), org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewOrgSSO(org, s))
	return nil
}

func (h ssoAPI) setOrgSSO(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Connector      string            `json:"connector"`
		DefaultRole    string            `json:"default_role"`
		ForbidPassword bool              `json:"forbid_password"`
		GroupRoles     map[string]string `json:"group_roles"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	org := r.PathValue("id")
	s, err := h.svc.SetOrgSSO(r.Context(), h.actor(r), storage.OrgConnector{OrgID: org, ConnectorID: b.Connector,
		DefaultRole: b.DefaultRole, ForbidPassword: b.ForbidPassword, GroupRoles: b.GroupRoles})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewOrgSSO(org, s))
	return nil
}

func (h ssoAPI) detachOrgSSO(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DetachOrgSSO(r.Context(), h.actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h ssoAPI) addOrgDomain(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Domain   string `json:"domain"`
		Verified bool   `json:"verified"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.Domain == "" {
		return badRequest("domain is required.")
	}
	d, err := h.svc.AddOrgDomain(r.Context(), h.actor(r), r.PathValue("id"), b.Domain, b.Verified)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ViewOrgDomain(d))
	return nil
}

func (h ssoAPI) verifyOrgDomain(w http.ResponseWriter, r *http.Request) error {
	// The body is optional: without one the DNS record decides.
	var b struct {
		Operator bool `json:"operator"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &b); err != nil {
			return err
		}
	}
	d, err := h.svc.VerifyOrgDomain(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("domain"), b.Operator)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewOrgDomain(d))
	return nil
}

func (h ssoAPI) removeOrgDomain(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RemoveOrgDomain(r.Context(), h.actor(r), r.PathValue("id"), r.PathValue("domain")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
