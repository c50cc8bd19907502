package oauth

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
	claimOrgID   = "org_id"
	claimOrgName = "org_name"
	claimOrgRole = "org_role"
	claimSID     = "sid"
	// claimIdP names the upstream connector the person signed in through.
	claimIdP = "idp"
)

// amrOTP is the RFC 8176 method of a second factor in a session's and an
// ID token's amr; an organization that requires two-factor sign-in wants it.
const amrOTP = "otp"

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
	// FamilyExpiresAt caps the refresh chain; zero is no cap.
	FamilyExpiresAt time.Time `json:"family_expires_at,omitzero"`

	// recordKey is set, never stored, on a session loaded from the access
	// token record keyed by the whole token (accessTokens): it names that
	// key, so the token is known to be the one issued.
	recordKey string
	// resource, never stored, is what the token request asked the new
	// tokens to be for (RFC 8707 §2.2; audienceOf).
	resource []string
}

var (
	_ foauth2.JWTSessionContainer = (*Session)(nil)
	_ fosite.ExtraClaimsSession   = (*Session)(nil)
	_ openid.Session              = (*Session)(nil)
)

func newSession() *Session {
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
	s.addOrgClaims(extra)
	return &jwt.JWTClaims{Subject: s.GetSubject(), Extra: extra}
}

// GetJWTHeader marks the token as an access token (RFC 9068 §2.1), which
// keeps it from passing as an ID token.
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]any{"typ": typAccessToken}}
}

// GetExtraClaims are the claims introspection adds to fosite's own.
func (s *Session) GetExtraClaims() map[string]any {
	extra := map[string]any{}
	s.addOrgClaims(extra)
	if s.SID != "" {
		extra[claimSID] = s.SID
	}
	return extra
}

func (s *Session) addOrgClaims(m map[string]any) {
	if s.OrgID == "" {
		return
	}
	m[claimOrgID] = s.OrgID
	m[claimOrgName] = s.OrgName
	m[claimOrgRole] = s.OrgRole
}

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
