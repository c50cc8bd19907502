package tokens

import (
	"slices"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

// ScopeGroups asks for the groups and org_roles claims.
const ScopeGroups = "groups"

// UserClaims are the scope-dependent claims about the user (OIDC Core
// §5.4): profile gives name, preferred_username and updated_at, email gives
// email and email_verified.
//
// preferred_username is the email address: Ostiary has no separate user
// name, and the address is what the user signs in with, unique among users
// (ignoring case), as Keycloak's username is when it is the email. Like
// every preferred_username (OIDC Core §5.1, §5.7) it can change (the user
// changes their address) and is no key: applications key users by sub.
func UserClaims(u storage.User, scopes []string) map[string]any {
	c := map[string]any{}
	if slices.Contains(scopes, "profile") {
		if u.Name != "" {
			c["name"] = u.Name
		}
		c["preferred_username"] = u.Email
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
	sess.AddGroupClaims(extra)
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

// Groups are the groups claim's values: each membership as
// "<org_id>:<role>", sorted. The organization's id, not its name: names
// change and a renamed organization must not inherit another's
// permissions in an application that maps groups (oauth2-proxy, Kubernetes
// RBAC); ids are fixed, unique and hold no ':' (nor do role names), so the
// value splits at its first ':'.
func Groups(ms []storage.Membership) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.OrgID+":"+m.Role)
	}
	slices.Sort(out)
	return out
}

// SetGroups records on the session whether the grant has the groups scope
// and, if so, the user's memberships (Groups); call it before
// SetIDTokenClaims, at issuance and on every refresh.
func SetGroups(sess *fositestore.Session, ms []storage.Membership, scopes []string) {
	sess.GroupsScope = slices.Contains(scopes, ScopeGroups)
	sess.Groups = nil
	if sess.GroupsScope {
		sess.Groups = Groups(ms)
	}
}
