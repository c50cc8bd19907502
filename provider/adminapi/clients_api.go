package adminapi

import (
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/storage"
)

// clientsAPI serves the client registrations (createClient ... rotateClientSecret).
type clientsAPI resource

// clientCreate is the body of createClient: clients.Spec in JSON.
type clientCreate struct {
	Name       string `json:"client_name"`
	Public     bool   `json:"public"`
	FirstParty bool   `json:"first_party"`
	// PKCERequired absent is true; false lets a confidential client send
	// no code_challenge.
	PKCERequired            *bool    `json:"pkce_required"`
	RequirePAR              bool     `json:"require_pushed_authorization_requests"`
	RedirectURIs            []string `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris"`
	CORSOrigins             []string `json:"cors_origins"`
	GrantTypes              []string `json:"grant_types"`
	Scopes                  []string `json:"scopes"`
	Audiences               []string `json:"audiences"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	JWKSURI                 string   `json:"jwks_uri"`
	LogoURI                 string   `json:"logo_uri"`
	PolicyURI               string   `json:"policy_uri"`
	TOSURI                  string   `json:"tos_uri"`
	BackchannelLogoutURI    string   `json:"backchannel_logout_uri"`
	OrgID                   string   `json:"org_id"`
	AccessTokenLifespan     int      `json:"access_token_lifespan_seconds"`
	RefreshTokenLifespan    int      `json:"refresh_token_lifespan_seconds"`
	IDTokenLifespan         int      `json:"id_token_lifespan_seconds"`

	// IDTokenSignedResponseAlg: RS256 (absent), ES256 or EdDSA.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg"`
	// ExchangeAudiences: the token exchange policy (RFC 8693).
	ExchangeAudiences []string `json:"exchange_audiences"`
	// APIs the client is granted and its default API (RFC 8707).
	APIs       []string `json:"apis"`
	DefaultAPI string   `json:"default_api"`
	// RequestObjectSigningAlg: RS256, PS256, ES256 or EdDSA; absent is any.
	RequestObjectSigningAlg    string `json:"request_object_signing_alg"`
	RequireSignedRequestObject bool   `json:"require_signed_request_object"`
	// DPoPBoundAccessTokens: every token request needs a DPoP proof.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens"`
}

func (c clientCreate) spec() clients.Spec {
	return clients.Spec{
		Name: c.Name, Public: c.Public, FirstParty: c.FirstParty, PKCEOptional: c.PKCERequired != nil && !*c.PKCERequired,
		RequirePushedAuthorizationRequests: c.RequirePAR,
		RedirectURIs:                       c.RedirectURIs,
		PostLogoutRedirectURIs:             c.PostLogoutRedirectURIs, CORSOrigins: c.CORSOrigins, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, Audiences: c.Audiences, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		JWKSURI: c.JWKSURI, LogoURI: c.LogoURI, PolicyURI: c.PolicyURI, TOSURI: c.TOSURI,
		BackchannelLogoutURI: c.BackchannelLogoutURI, OrgID: c.OrgID,
		AccessTokenLifespan:      time.Duration(c.AccessTokenLifespan) * time.Second,
		RefreshTokenLifespan:     time.Duration(c.RefreshTokenLifespan) * time.Second,
		IDTokenLifespan:          time.Duration(c.IDTokenLifespan) * time.Second,
		IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg,
		ExchangeAudiences:        c.ExchangeAudiences,
		APIs:                     c.APIs, DefaultAPI: c.DefaultAPI,
		RequestObjectSigningAlg: c.RequestObjectSigningAlg, RequireSignedRequestObject: c.RequireSignedRequestObject,
		DPoPBoundAccessTokens: c.DPoPBoundAccessTokens,
	}
}

func (h clientsAPI) createClient(w http.ResponseWriter, r *http.Request) error {
	var body clientCreate
	if err := decode(w, r, &body); err != nil {
		return err
	}
	c, secret, err := h.svc.CreateClient(r.Context(), h.actor(r), body.spec())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, SecretView{ClientView: ViewClient(c), ClientSecret: secret})
	return nil
}

func (h clientsAPI) listClients(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.svc.ListClients(r.Context())
	if err != nil {
		return err
	}
	page, err := paginate(r, cs, func(c storage.Client) string { return timeKey(c.CreatedAt, c.ID) }, ViewClient)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h clientsAPI) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.GetClient(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewClient(c))
	return nil
}

func (h clientsAPI) updateClient(w http.ResponseWriter, r *http.Request) error {
	var patch ClientPatch
	if err := decode(w, r, &patch); err != nil {
		return err
	}
	c, err := h.svc.UpdateClient(r.Context(), h.actor(r), r.PathValue("id"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewClient(c))
	return nil
}

func (h clientsAPI) deleteClient(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteClient(r.Context(), h.actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h clientsAPI) rotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	secret, err := h.svc.RotateClientSecret(r.Context(), h.actor(r), id)
	if err != nil {
		return err
	}
	c, err := h.svc.GetClient(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SecretView{ClientView: ViewClient(c), ClientSecret: secret})
	return nil
}
