package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/storage"
)

// userClaims are the scope-dependent claims about the person (OIDC Core
// §5.4): profile gives name and updated_at, email gives email and
// email_verified.
func userClaims(u storage.User, scopes []string) map[string]any {
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

// setIDTokenClaims puts the person's and organization's current claims on
// the session's ID token claims. They replace whatever the session held:
// on refresh the person's name or role may have changed.
func setIDTokenClaims(sess *Session, u storage.User, scopes []string) {
	extra := userClaims(u, scopes)
	sess.addOrgClaims(extra)
	if sess.SID != "" {
		extra[claimSID] = sess.SID
	}
	if sess.IdP != "" {
		extra[claimIdP] = sess.IdP
	}
	sess.IDTokenClaims().Extra = extra
}

// reloadForRefresh re-evaluates a refresh grant against the store between
// fosite's NewAccessRequest and NewAccessResponse: a deleted or disabled
// person, a removed membership, or an organization requiring a second
// factor the grant's sign-in lacks fails the refresh; a changed name, role
// or organization name shows in the new tokens. One read each of the person
// and the membership (which carries the organization's name and
// requirement): the refresh path has a CPU budget.
func (s *Server) reloadForRefresh(ctx context.Context, ar fosite.AccessRequester) error {
	sess, ok := ar.GetSession().(*Session)
	if !ok {
		return fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession())
	}
	u, err := s.store.GetUser(ctx, sess.GetSubject())
	if errors.Is(err, storage.ErrNotFound) {
		return fosite.ErrInvalidGrant.WithHint("The user of this grant no longer exists.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(fmt.Sprintf("load user: %v", err))
	}
	if u.Disabled {
		return fosite.ErrInvalidGrant.WithHint("The user of this grant is disabled.")
	}
	if adminLost(u, ar.GetGrantedScopes()) {
		return fosite.ErrInvalidGrant.WithHint("The user is no longer an instance administrator; sign in again.")
	}
	if sess.OrgID != "" {
		m, err := s.store.GetMembership(ctx, sess.OrgID, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return fosite.ErrInvalidGrant.WithHint("The user is no longer a member of the grant's organization.")
		}
		if err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(fmt.Sprintf("load membership: %v", err))
		}
		// The organization's second-factor requirement holds for a grant as
		// for a sign-in (decide.go, step b2): a grant authenticated without
		// one stops refreshing while the requirement is on. Like the
		// disabled-person check above, the refusal revokes nothing: the
		// grant refreshes again once the requirement is off.
		if lacksRequiredFactor(&m, sess.IDTokenClaims().AuthenticationMethodsReferences) {
			return fosite.ErrInvalidGrant.WithHint("The organization requires two-factor sign-in; sign in again.")
		}
		sess.OrgName, sess.OrgRole = m.OrgName, m.Role
	}
	setIDTokenClaims(sess, u, ar.GetGrantedScopes())
	// A refreshed ID token is for the client alone and answers no
	// authentication request, so it carries no nonce (OIDC Core §12.2,
	// ory/fosite#530).
	claims := sess.IDTokenClaims()
	claims.Nonce = ""
	claims.Audience = nil
	return nil
}
