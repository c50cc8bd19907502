package fositestore

import (
	"time"

	"github.com/ory/fosite"
	foauth2 "github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Organization claims, in ID tokens, access tokens, introspection and
// userinfo, whenever the grant has an active organization.
const (
	ClaimOrgID   = "org_id"
	ClaimOrgName = "org_name"
	ClaimOrgRole = "org_role"
	ClaimSID     = "sid"
	// ClaimIdP names the upstream connector the user signed in through.
	ClaimIdP = "idp"
	// ClaimAct names the actor of a delegated token (RFC 8693 §4.1).
	ClaimAct = "act"
	// ClaimACR is the authentication context class of the sign-in the
	// token stands for (OIDC Core §2, RFC 9068 §2.2.1), in access tokens
	// and introspection; fosite writes the ID token's itself.
	ClaimACR = "acr"
	// ClaimGroups lists, with the groups scope, every membership of the
	// user as "<org_id>:<role>" (RFC 9068 §2.2.3.1 groups; tokens.Groups).
	ClaimGroups = "groups"
	// ClaimOrgRoles lists, with the groups scope and an active
	// organization, the user's roles in that organization alone.
	ClaimOrgRoles = "org_roles"
)

// TypAccessToken is the typ header of an access token (RFC 9068 §2.1).
const TypAccessToken = "at+jwt"

// Session is the fosite session of every grant. It is stored as JSON with
// each token record and cloned by fosite on refresh, so everything a
// refreshed token needs lives here. Subject is the user id, or the client
// id for client_credentials (RFC 9068 §2.2).
type Session struct {
	*openid.DefaultSession
	ClientID string `json:"client_id"`
	// SID is the browser session the grant came from (the `sid` claim).
	SID     string `json:"sid,omitempty"`
	OrgID   string `json:"org_id,omitempty"`
	OrgName string `json:"org_name,omitempty"`
	OrgRole string `json:"org_role,omitempty"`
	// IdP is the upstream connector of the browser sign-in (the idp claim);
	// empty for a local one.
	IdP string `json:"idp,omitempty"`
	// GroupsScope is set when the grant has the groups scope; Groups then
	// holds the user's memberships as "<org_id>:<role>", read at issuance
	// and again on every refresh (tokens.SetGroups).
	GroupsScope bool     `json:"groups_scope,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	// Act is the act claim (RFC 8693 §4.1) of a token made by a token
	// exchange with an actor_token: {"sub": the actor, "act": prior actors}.
	Act map[string]any `json:"act,omitempty"`
	// DPoPJKT is the RFC 7638 thumbprint of the DPoP key the tokens are
	// bound to (RFC 9449 §6: the cnf.jkt claim); empty for bearer tokens.
	DPoPJKT string `json:"dpop_jkt,omitempty"`
	// FamilyExpiresAt caps the refresh chain; zero is no cap.
	FamilyExpiresAt time.Time `json:"family_expires_at,omitzero"`

	// Resource, never stored, is what the token request asked the new
	// tokens to be for (RFC 8707 §2.2; provider/oauth/tokens, target.go).
	Resource []string `json:"-"`

	// recordKey is set, never stored, on a session loaded from the access
	// token record keyed by the whole token (RecordKey).
	recordKey string
}

var (
	_ foauth2.JWTSessionContainer = (*Session)(nil)
	_ fosite.ExtraClaimsSession   = (*Session)(nil)
	_ openid.Session              = (*Session)(nil)
)

// NewSession is an empty session, ready for fosite to fill.
func NewSession() *Session {
	return &Session{DefaultSession: &openid.DefaultSession{Claims: &jwt.IDTokenClaims{}, Headers: &jwt.Headers{}}}
}

// Clone keeps the type: the promoted DefaultSession.Clone would return an
// *openid.DefaultSession and drop every field above on refresh.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	if s.DefaultSession != nil {
		c.DefaultSession = s.DefaultSession.Clone().(*openid.DefaultSession)
	}
	return &c
}

// GetJWTClaims builds the RFC 9068 claims afresh on every call, so a
// refreshed access token gets a new iat and jti (ory/fosite#774). fosite
// adds iss, aud, exp, iat and scope.
func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	extra := map[string]any{"client_id": s.ClientID}
	s.AddOrgClaims(extra)
	s.AddGroupClaims(extra)
	s.addACR(extra)
	if s.Act != nil {
		extra[ClaimAct] = s.Act
	}
	s.addConfirmation(extra)
	return &jwt.JWTClaims{Subject: s.GetSubject(), Extra: extra}
}

// GetJWTHeader marks the token as an access token (RFC 9068 §2.1), which
// keeps it from passing as an ID token.
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]any{"typ": TypAccessToken}}
}

// GetExtraClaims are the claims introspection adds to fosite's own.
func (s *Session) GetExtraClaims() map[string]any {
	extra := map[string]any{}
	s.AddOrgClaims(extra)
	s.AddGroupClaims(extra)
	if s.SID != "" {
		extra[ClaimSID] = s.SID
	}
	s.addACR(extra)
	if s.Act != nil {
		extra[ClaimAct] = s.Act
	}
	s.addConfirmation(extra)
	return extra
}

// addACR puts the acr of the sign-in on m, when the grant has one (a
// client acting for itself has none).
func (s *Session) addACR(m map[string]any) {
	if s.DefaultSession != nil && s.Claims != nil && s.Claims.AuthenticationContextClassReference != "" {
		m[ClaimACR] = s.Claims.AuthenticationContextClassReference
	}
}

// addConfirmation puts the cnf claim of a DPoP-bound token on m (RFC 9449
// §6.1 for the JWT, §6.2 for introspection).
func (s *Session) addConfirmation(m map[string]any) {
	if s.DPoPJKT != "" {
		m["cnf"] = map[string]any{"jkt": s.DPoPJKT}
	}
}

// AddOrgClaims puts the organization claims on m, when the grant has one.
func (s *Session) AddOrgClaims(m map[string]any) {
	if s.OrgID == "" {
		return
	}
	m[ClaimOrgID] = s.OrgID
	m[ClaimOrgName] = s.OrgName
	m[ClaimOrgRole] = s.OrgRole
}

// AddGroupClaims puts the groups claim on m when the grant has the groups
// scope (an empty list for a user in no organization), and org_roles when
// it also has an active organization.
func (s *Session) AddGroupClaims(m map[string]any) {
	if !s.GroupsScope {
		return
	}
	groups := s.Groups
	if groups == nil {
		groups = []string{}
	}
	m[ClaimGroups] = groups
	if s.OrgID != "" {
		m[ClaimOrgRoles] = []string{s.OrgRole}
	}
}

// RecordKey is, on a session loaded from the access token record keyed by
// the whole token (GetAccessTokenSession), that record's key: a token
// whose SigKey is this is the one issued, byte for byte. Empty otherwise.
func (s *Session) RecordKey() string { return s.recordKey }

// ensure fills what a decoded session may lack, so promoted methods never
// dereference nil.
func (s *Session) ensure() *Session {
	if s.DefaultSession == nil {
		s.DefaultSession = &openid.DefaultSession{}
	}
	if s.Claims == nil {
		s.Claims = &jwt.IDTokenClaims{}
	}
	if s.Headers == nil {
		s.Headers = &jwt.Headers{}
	}
	return s
}
