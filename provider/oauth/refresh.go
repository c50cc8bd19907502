package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/storage"
)

// reloadForRefresh re-evaluates a refresh grant against the store between
// fosite's NewAccessRequest and NewAccessResponse: a deleted or disabled
// user, a removed membership, or an organization requiring a second
// factor the grant's sign-in lacks fails the refresh; a changed name, role
// or organization name shows in the new tokens. One read each of the user
// and the membership (which carries the organization's name and
// requirement): the refresh path has a CPU budget.
func (s *Server) reloadForRefresh(ctx context.Context, ar fosite.AccessRequester) error {
	sess, ok := ar.GetSession().(*fositestore.Session)
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
	if grants.AdminLost(u, ar.GetGrantedScopes()) {
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
		// disabled-user check above, the refusal revokes nothing: the
		// grant refreshes again once the requirement is off.
		if grants.LacksRequiredFactor(&m, sess.IDTokenClaims().AuthenticationMethodsReferences) {
			return fosite.ErrInvalidGrant.WithHintf("The organization requires %s; sign in again.", grants.RequiredFactorText(&m))
		}
		sess.OrgName, sess.OrgRole = m.OrgName, m.Role
	}
	// The groups scope's memberships, read again like the role: a third
	// read, made only when the grant has the scope.
	if err := grants.LoadGroups(ctx, s.store, sess, u.ID, ar.GetGrantedScopes()); err != nil {
		return err
	}
	tokens.SetIDTokenClaims(sess, u, ar.GetGrantedScopes())
	// A refreshed ID token is for the client alone and answers no
	// authentication request, so it carries no nonce (OIDC Core §12.2,
	// ory/fosite#530).
	claims := sess.IDTokenClaims()
	claims.Nonce = ""
	claims.Audience = nil
	return nil
}
