package tokens

import (
	"slices"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

// UserClaims are the scope-dependent claims about the user (OIDC Core
// §5.4): profile gives name and updated_at, email gives email and
// email_verified.
func UserClaims(u storage.User, scopes []string) map[string]any {
	c := map[string]any{}
	if slices.Contains(scopes, "profile") {
		if u.Name != "" {
			c["name"] = u.Name
		}
		if !u.UpdatedAt.IsZero() {
			c["updated_at"] = u.UpdatedAt.Unix()
		}
	}
	if slices.Contains(scopes, "email") {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	return c
}

// SetIDTokenClaims puts the user's and organization's current claims on
// the session's ID token claims. They replace whatever the session held:
// on refresh the user's name or role may have changed. The acr is the
// class the session's amr actually satisfies (acr.Of), never the one a
// client asked for: an ID token claims no more than was done (OIDC Core
// §2). Set the amr first.
func SetIDTokenClaims(sess *fositestore.Session, u storage.User, scopes []string) {
	SetACR(sess)
	extra := UserClaims(u, scopes)
	sess.AddOrgClaims(extra)
	if sess.SID != "" {
		extra[fositestore.ClaimSID] = sess.SID
	}
	if sess.IdP != "" {
		extra[fositestore.ClaimIdP] = sess.IdP
	}
	sess.IDTokenClaims().Extra = extra
}

// SetACR derives the session's acr from its amr (acr.Of); a grant without
// amr (no sign-in behind it) has none. ID tokens, access tokens and
// introspection all carry it (fositestore.ClaimACR).
func SetACR(sess *fositestore.Session) {
	c := sess.IDTokenClaims()
	c.AuthenticationContextClassReference = ""
	if len(c.AuthenticationMethodsReferences) > 0 {
		c.AuthenticationContextClassReference = acr.Of(c.AuthenticationMethodsReferences)
	}
}
