package accounts

import "context"

// ActorRole is the role actor acts with in the organization (owner for the
// operator and instance administrators), for services outside this package
// that apply the same "owners and admins only" rule. A non-member gets
// ErrForbidden.
func (o *Organizations) ActorRole(ctx context.Context, orgID string, actor Actor) (string, error) {
	return o.actorRole(ctx, orgID, actor.ID)
}
