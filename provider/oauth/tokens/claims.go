package tokens

import (
	"slices"

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
// on refresh the user's name or role may have changed.
func SetIDTokenClaims(sess *fositestore.Session, u storage.User, scopes []string) {
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
