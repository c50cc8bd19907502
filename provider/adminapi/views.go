package adminapi

import (
	"time"

	"github.com/ostiary/ostiary/provider/audit/forward"
	"github.com/ostiary/ostiary/storage"
)

// The JSON shapes of the API (openapi.yaml components). Secrets and their
// hashes never appear, except a client secret once, in SecretView.

// ClientView is a client.
type ClientView struct {
	ClientID                string    `json:"client_id"`
	Name                    string    `json:"client_name"`
	Public                  bool      `json:"public"`
	FirstParty              bool      `json:"first_party"`
	PKCERequired            bool      `json:"pkce_required"`
	RequirePAR              bool      `json:"require_pushed_authorization_requests"`
	RedirectURIs            []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string  `json:"post_logout_redirect_uris"`
	CORSOrigins             []string  `json:"cors_origins"`
	GrantTypes              []string  `json:"grant_types"`
	Scopes                  []string  `json:"scopes"`
	Audiences               []string  `json:"audiences"`
	TokenEndpointAuthMethod string    `json:"token_endpoint_auth_method"`
	LogoURI                 string    `json:"logo_uri,omitempty"`
	PolicyURI               string    `json:"policy_uri,omitempty"`
	TOSURI                  string    `json:"tos_uri,omitempty"`
	BackchannelLogoutURI    string    `json:"backchannel_logout_uri,omitempty"`
	OrgID                   string    `json:"org_id,omitempty"`
	CreatedAt               time.Time `json:"created_at"`
	UpdatedAt               time.Time `json:"updated_at"`

	// IDTokenSignedResponseAlg is the alg of the client's ID tokens.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg"`
	// ExchangeAudiences are the audiences the client may exchange tokens
	// for (RFC 8693).
	ExchangeAudiences []string `json:"exchange_audiences"`
	// APIs the client is granted and its default API (RFC 8707).
	APIs       []string `json:"apis"`
	DefaultAPI string   `json:"default_api,omitempty"`
	// RequestObjectSigningAlg and RequireSignedRequestObject govern the
	// client's signed request objects (RFC 9101).
	RequestObjectSigningAlg    string `json:"request_object_signing_alg,omitempty"`
	RequireSignedRequestObject bool   `json:"require_signed_request_object"`
	// DPoPBoundAccessTokens: every token request needs a DPoP proof.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ViewClient is c as the API and the CLI show it.
func ViewClient(c storage.Client) ClientView {
	return ClientView{
		ClientID: c.ID, Name: c.Name, Public: c.Public, FirstParty: c.FirstParty, PKCERequired: c.PKCERequired(),
		RequirePAR:   c.RequirePushedAuthorizationRequests,
		RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		CORSOrigins: nonNil(c.CORSOrigins), GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes),
		Audiences: nonNil(c.Audiences), TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		LogoURI: c.LogoURI, PolicyURI: c.PolicyURI, TOSURI: c.TOSURI, BackchannelLogoutURI: c.BackchannelLogoutURI,
		OrgID: c.OrgID, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		IDTokenSignedResponseAlg: IDTokenAlg(c),
		ExchangeAudiences:        nonNil(c.ExchangeAudiences),
		APIs:                     nonNil(c.APIs), DefaultAPI: c.DefaultAPI,
		RequestObjectSigningAlg: c.RequestObjectSigningAlg, RequireSignedRequestObject: c.RequireSignedRequestObject,
		DPoPBoundAccessTokens: c.DPoPBoundAccessTokens,
	}
}

// IDTokenAlg is the alg c's ID tokens are signed with: RS256 unless it
// registered another.
func IDTokenAlg(c storage.Client) string {
	if c.IDTokenSignedResponseAlg == "" {
		return "RS256"
	}
	return c.IDTokenSignedResponseAlg
}

// SecretView is a client with its secret, answered once on creation and
// on rotation.
type SecretView struct {
	ClientView
	ClientSecret string `json:"client_secret,omitempty"`
}

// UserView is a user.
type UserView struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	EmailVerified bool   `json:"email_verified"`
	Disabled      bool   `json:"disabled"`
	Admin         bool   `json:"admin"`
	// Attributes is the administrator-set JSON object; absent for none.
	Attributes map[string]any `json:"attributes,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ViewUser is u without its password hash.
func ViewUser(u storage.User) UserView {
	return UserView{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified, Disabled: u.Disabled,
		Admin: u.Admin, Attributes: u.Attributes, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// OrgView is an organization.
type OrgView struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	RequireMFA     bool   `json:"require_mfa"`
	RequirePasskey bool   `json:"require_passkey"`
	// Attributes is the administrator-set JSON object; absent for none.
	Attributes map[string]any `json:"attributes,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

func viewOrg(o storage.Organization) OrgView {
	return OrgView{ID: o.ID, Name: o.Name, RequireMFA: o.RequireMFA, RequirePasskey: o.RequirePasskey, Attributes: o.Attributes, CreatedAt: o.CreatedAt.UTC()}
}

// MemberView is a membership.
type MemberView struct {
	OrgID  string `json:"org_id"`
	UserID string `json:"user_id"`
	Role   string `json:"role"`
	// Attributes is the administrator-set JSON object; absent for none.
	Attributes map[string]any `json:"attributes,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

func viewMember(m storage.Membership) MemberView {
	return MemberView{OrgID: m.OrgID, UserID: m.UserID, Role: m.Role, Attributes: m.Attributes, CreatedAt: m.CreatedAt.UTC()}
}

// SessionView is a browser session, without its cookie hash.
type SessionView struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	OrgID     string    `json:"org_id,omitempty"`
	AuthTime  time.Time `json:"auth_time"`
	AMR       []string  `json:"amr"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ViewSession is s for the API and CLI.
func ViewSession(s storage.Session) SessionView {
	return SessionView{ID: s.ID, UserID: s.UserID, OrgID: s.OrgID, AuthTime: s.AuthTime.UTC(), AMR: nonNil(s.AMR),
		IP: s.IP, UserAgent: s.UserAgent, CreatedAt: s.CreatedAt.UTC(), LastSeen: s.LastSeen.UTC(), ExpiresAt: s.ExpiresAt.UTC()}
}

// ConsentView is a remembered consent.
type ConsentView struct {
	UserID    string    `json:"user_id"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ViewConsent is c for the API and CLI.
func ViewConsent(c storage.Consent) ConsentView {
	return ConsentView{UserID: c.UserID, ClientID: c.ClientID, Scopes: nonNil(c.Scopes), UpdatedAt: c.UpdatedAt.UTC()}
}

// AuditView is an audit event, as the webhooks of audit forwarding carry
// it too.
type AuditView = forward.Event

// ViewAudit is e for the API and CLI.
func ViewAudit(e storage.AuditEvent) AuditView { return forward.View(e) }

// timeKey sorts by time, then id: the same order on every page.
func timeKey(t time.Time, id string) string {
	return t.UTC().Format("20060102T150405.000000000") + "|" + id
}
