package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/storage"
)

// ActorRole is the role actor acts with in the organization (owner for the
// operator and instance administrators), for services outside this package
// that apply the same "owners and admins only" rule. A non-member gets
// ErrForbidden.
func (o *Organizations) ActorRole(ctx context.Context, orgID string, actor Actor) (string, error) {
	return o.actorRole(ctx, orgID, actor.ID)
}

// SystemActor is the actor of changes made by the operator through the CLI
// or automation: it acts as an owner everywhere. No user id has this form.
const SystemActor = "@system"

// ClientActor is the actor of an admin API client acting for itself
// (client_credentials with ostiary:admin): an operator like SystemActor,
// named in the audit log by its client id. No user id has this form.
func ClientActor(clientID string) string { return clientActorPrefix + clientID }

const clientActorPrefix = "client:"

// ScimActor is the actor of changes a SCIM client makes in organization
// orgID with the organization's SCIM token: it acts as an admin of that
// organization only (so it never makes, changes or removes owners). No
// user id has this form.
func ScimActor(orgID string) string { return scimActorPrefix + orgID }

const scimActorPrefix = "scim:"

// isOperator reports the actors that act as owners everywhere and are
// nobody's membership.
func isOperator(actorID string) bool {
	return actorID == SystemActor || strings.HasPrefix(actorID, clientActorPrefix)
}

// actorRole is the role the actor acts with in the organization: their
// membership's, or owner for an instance administrator. A non-member gets
// ErrForbidden (wrapped as not found would let them probe ids; both say
// no).
func (o *Organizations) actorRole(ctx context.Context, orgID, actorID string) (string, error) {
	if isOperator(actorID) {
		if _, err := o.Store.GetOrg(ctx, orgID); err != nil {
			return "", fmt.Errorf("organization %q: %w", orgID, err)
		}
		return RoleOwner, nil
	}
	if scimOrg, ok := strings.CutPrefix(actorID, scimActorPrefix); ok {
		if scimOrg != orgID {
			return "", ErrForbidden.Newf("Not a member of organization %q.", orgID)
		}
		if _, err := o.Store.GetOrg(ctx, orgID); err != nil {
			return "", fmt.Errorf("organization %q: %w", orgID, err)
		}
		return RoleAdmin, nil
	}
	m, err := o.Store.GetMembership(ctx, orgID, actorID)
	if err == nil {
		return m.Role, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return "", fmt.Errorf("read membership: %w", err)
	}
	u, err := o.Store.GetUser(ctx, actorID)
	if err == nil && u.Admin && !u.Disabled {
		if _, err := o.Store.GetOrg(ctx, orgID); err != nil {
			return "", fmt.Errorf("organization %q: %w", orgID, err)
		}
		return RoleOwner, nil
	}
	return "", ErrForbidden.Newf("Not a member of organization %q.", orgID)
}

// Create stores a new organization with the creator as its owner (unless

// IsOperator reports whether the actor is an instance administrator (the
// CLI's operator or an admin API client acting for itself), for rules that
// only the instance may apply.
func IsOperator(a Actor) bool { return isOperator(a.ID) }
