package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

// AddMember gives a user a role directly, without an invitation: owners
// and admins (only owners add owners), and the operator. Unknown org or
// user wraps storage.ErrNotFound; an existing membership
// storage.ErrAlreadyExists.
func (o *Organizations) AddMember(ctx context.Context, actor Actor, orgID, userID, role string) error {
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if err := o.checkRole(ctx, orgID, role); err != nil {
		return err
	}
	if !mayAssign(mine, role) {
		return ErrForbidden.Newf("Your role %q cannot add a member with role %q.", mine, role)
	}
	if _, err := o.Store.GetUser(ctx, userID); err != nil {
		return fmt.Errorf("user %q: %w", userID, err)
	}
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		m := storage.Membership{OrgID: orgID, UserID: userID, Role: role, CreatedAt: o.Now().UTC()}
		if err := o.Store.AddMembership(ctx, m); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return fmt.Errorf("user %q is already a member of %q: %w", userID, orgID, err)
			}
			return fmt.Errorf("add membership: %w", err)
		}
		return o.audit(ctx, actor, "member.added", orgID, userID, map[string]string{"role": role})
	})
}

// keepAnOwner fails when the organization has one owner or fewer: the one
// about to lose the role is the last.
func (o *Organizations) keepAnOwner(ctx context.Context, orgID string) error {
	members, err := o.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list members: %w", err)
	}
	owners := 0
	for _, m := range members {
		if m.Role == RoleOwner {
			owners++
		}
	}
	if owners <= 1 {
		return ErrLastOwner.New("An organization needs at least one owner: make someone else an owner first.")
	}
	return nil
}

// RemoveMember takes a user out of the organization: an owner or admin
// removing someone (admins cannot remove owners), or a member leaving
// (actor.ID == userID). The last owner cannot go. Their tokens for the
// organization stop working at once and their sessions forget it as the
// active organization.
func (o *Organizations) RemoveMember(ctx context.Context, actor Actor, orgID, userID string) error {
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := o.Store.GetMembership(ctx, orgID, userID)
		if err != nil {
			return fmt.Errorf("member %q: %w", userID, err)
		}
		if actor.ID != userID && !mayAssign(mine, m.Role) {
			return ErrForbidden.Newf("Your role %q cannot remove a member with role %q.", mine, m.Role)
		}
		if m.Role == RoleOwner {
			if err := o.keepAnOwner(ctx, orgID); err != nil {
				return err
			}
		}
		if err := o.Store.DeleteMembership(ctx, orgID, userID); err != nil {
			return err
		}
		if err := o.endMembership(ctx, orgID, userID); err != nil {
			return err
		}
		typ := "member.removed"
		if actor.ID == userID {
			typ = "member.left"
		}
		return o.audit(ctx, actor, typ, orgID, userID, map[string]string{"role": m.Role})
	})
}

// endMembership stops the user's tokens issued for the organization and
// clears it from their sessions.
func (o *Organizations) endMembership(ctx context.Context, orgID, userID string) error {
	_, err := o.Store.DeactivateTokens(ctx, storage.TokenFilter{
		Subject: userID, OrgID: orgID,
		Kinds: []storage.TokenKind{storage.KindAccessToken, storage.KindRefreshToken, storage.KindAuthorizeCode},
	})
	if err != nil {
		return fmt.Errorf("end tokens of %q in %q: %w", userID, orgID, err)
	}
	sessions, err := o.Store.ListSessionsByUser(ctx, userID, o.Now())
	if err != nil {
		return fmt.Errorf("list sessions of %q: %w", userID, err)
	}
	for _, s := range sessions {
		if s.OrgID != orgID {
			continue
		}
		err := o.Store.UpdateSession(ctx, s.ID, func(s storage.Session) (storage.Session, error) {
			s.OrgID = ""
			return s, nil
		})
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("clear active organization: %w", err)
		}
	}
	return nil
}
