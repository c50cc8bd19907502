package grants

import (
	"slices"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/storage"
)

// ScopeAdmin lets an access token call the admin API (provider/adminapi).
const ScopeAdmin = "ostiary:admin"

// This file is the one place that says who may hold ScopeAdmin:
//
//   - a user, only while they have the instance-admin flag and are not
//     disabled: an authorization-code grant drops the scope for anyone else
//     (GrantableScopes, in provider/oauth's grant), a refresh fails once the
//     flag is gone (AdminLost, in reloadForRefresh), a personal access
//     token exchange refuses it (PATExchange);
//   - a client acting for itself (client_credentials), only while its
//     registration lists the scope — fosite refuses unregistered scopes at
//     the token endpoint, and provider/oauth's AdminPrincipal checks again
//     (ClientMayHoldAdmin) on every call.
//
// And it is the one place of an organization's second-factor requirement
// (LacksRequiredFactor).

// UserMayHoldAdmin is the rule for users.
func UserMayHoldAdmin(u storage.User) bool { return u.Admin && !u.Disabled }

// ClientMayHoldAdmin is the rule for clients acting for themselves.
func ClientMayHoldAdmin(c storage.Client) bool {
	return !c.Public && slices.Contains(c.Scopes, ScopeAdmin)
}

// GrantableScopes is what an authorization-code grant for u may carry of
// requested: everything but ScopeAdmin unless u may hold it.
func GrantableScopes(u storage.User, requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, sc := range requested {
		if sc == ScopeAdmin && !UserMayHoldAdmin(u) {
			continue
		}
		out = append(out, sc)
	}
	return out
}

// AdminLost reports, for a refresh, that the grant carries ScopeAdmin but
// its user may no longer hold it.
func AdminLost(u storage.User, granted []string) bool {
	return slices.Contains(granted, ScopeAdmin) && !UserMayHoldAdmin(u)
}

// AMROTP is the RFC 8176 method of a second factor in a session's and an
// ID token's amr; an organization that requires two-factor sign-in wants it.
const AMROTP = "otp"

// LacksRequiredFactor is the one rule for an organization that requires
// two-factor sign-in: a sign-in with amr may act in org (nil: none) only if
// it had a second factor (acr.TwoFactor: a code, or a passkey, with or
// without the password). provider/oauth's authorization (decide), a refresh
// (reloadForRefresh) and a personal access token exchange all ask it, with
// the amr of the session, of the grant and of the token's session.
func LacksRequiredFactor(org *storage.Membership, amr []string) bool {
	return org != nil && org.OrgRequireMFA && !acr.Satisfies(amr, acr.TwoFactor)
}
