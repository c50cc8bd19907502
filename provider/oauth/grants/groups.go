package grants

import (
	"context"
	"slices"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/storage"
)

// MembershipLister reads a user's memberships (the groups claim).
type MembershipLister interface {
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
}

// LoadGroups fills the session's groups (tokens.SetGroups) from the store
// when the granted scopes include groups; without it nothing is read, so
// grants without the scope cost no extra query.
func LoadGroups(ctx context.Context, store MembershipLister, sess *fositestore.Session, userID string, scopes []string) error {
	if !slices.Contains(scopes, tokens.ScopeGroups) {
		tokens.SetGroups(sess, nil, scopes)
		return nil
	}
	ms, err := store.ListMembershipsByUser(ctx, userID)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebugf("load memberships: %v", err)
	}
	tokens.SetGroups(sess, ms, scopes)
	return nil
}
