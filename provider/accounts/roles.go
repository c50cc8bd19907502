package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/storage"
)

// Role describes one role an organization offers.
type Role struct {
	Name        string
	Description string
	BuiltIn     bool
}

var builtInRoles = []Role{
	{Name: RoleOwner, Description: "Manages everything, including owners and deleting the organization", BuiltIn: true},
	{Name: RoleAdmin, Description: "Invites and removes members, changes roles (not owners), renames", BuiltIn: true},
	{Name: RoleMember, Description: "Belongs to the organization", BuiltIn: true},
}

// IsBuiltInRole reports owner, admin and member.
func IsBuiltInRole(name string) bool {
	for _, r := range builtInRoles {
		if r.Name == name {
			return true
		}
	}
	return false
}

// CanManage reports whether a role may manage members: owner or admin.
func CanManage(role string) bool { return role == RoleOwner || role == RoleAdmin }

// Roles lists what an organization offers: the built-in roles, then its own.
func (o *Organizations) Roles(ctx context.Context, orgID string) ([]Role, error) {
	custom, err := o.Store.ListOrgRoles(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	out := append([]Role(nil), builtInRoles...)
	for _, r := range custom {
		out = append(out, Role{Name: r.Name, Description: r.Description})
	}
	return out, nil
}

// DefineRole adds a custom role; owners and admins.
func (o *Organizations) DefineRole(ctx context.Context, actor Actor, orgID, name, description string) error {
	if !roleName.MatchString(name) {
		return ErrInvalid.Newf("Role %q: lowercase letters, digits, '-' and '_', starting with a letter.", name)
	}
	if IsBuiltInRole(name) {
		return fmt.Errorf("%q is a built-in role: %w", name, storage.ErrAlreadyExists)
	}
	description = strings.TrimSpace(description)
	if len([]rune(description)) > 200 {
		return ErrInvalid.New("Role description must be at most 200 characters.")
	}
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if !CanManage(role) {
		return ErrForbidden.New("Only owners and admins define roles.")
	}
	err = o.Store.CreateOrgRole(ctx, storage.OrgRole{OrgID: orgID, Name: name, Description: description, CreatedAt: o.Now().UTC()})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return fmt.Errorf("the organization has a role %q already: %w", name, err)
	}
	if err != nil {
		return err
	}
	return o.audit(ctx, actor, "org.role_defined", orgID, "", map[string]string{"role": name})
}

// DeleteRole removes a custom role nobody holds; owners and admins.
func (o *Organizations) DeleteRole(ctx context.Context, actor Actor, orgID, name string) error {
	if IsBuiltInRole(name) {
		return ErrInvalid.Newf("%q is a built-in role.", name)
	}
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if !CanManage(role) {
		return ErrForbidden.New("Only owners and admins delete roles.")
	}
	if err := o.Store.DeleteOrgRole(ctx, orgID, name); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("members still hold the role %q; give them another first: %w", name, err)
		}
		return err
	}
	return o.audit(ctx, actor, "org.role_deleted", orgID, "", map[string]string{"role": name})
}

// checkRole refuses a role the organization does not offer.
func (o *Organizations) checkRole(ctx context.Context, orgID, role string) error {
	if IsBuiltInRole(role) {
		return nil
	}
	custom, err := o.Store.ListOrgRoles(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list roles: %w", err)
	}
	for _, r := range custom {
		if r.Name == role {
			return nil
		}
	}
	return ErrInvalid.Newf("The organization has no role %q.", role)
}

// mayAssign reports whether an actor with actorRole may give or take away
// role: only owners touch the owner role.
func mayAssign(actorRole, role string) bool {
	if !CanManage(actorRole) {
		return false
	}
	return role != RoleOwner || actorRole == RoleOwner
}

// SetRole changes a member's role. Owners and admins; only owners make or
// unmake owners; the last owner keeps the role. The new role shows in the
// member's next token (refresh re-reads the membership).
func (o *Organizations) SetRole(ctx context.Context, actor Actor, orgID, userID, role string) error {
	if err := o.checkRole(ctx, orgID, role); err != nil {
		return err
	}
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	// The owner count is read and the role written in one serializable
	// transaction: two owners demoting each other at once leave one.
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := o.Store.GetMembership(ctx, orgID, userID)
		if err != nil {
			return fmt.Errorf("member %q: %w", userID, err)
		}
		if m.Role == role {
			return nil
		}
		if !mayAssign(mine, m.Role) || !mayAssign(mine, role) {
			return ErrForbidden.Newf("Your role %q cannot change %q to %q.", mine, m.Role, role)
		}
		if m.Role == RoleOwner {
			if err := o.keepAnOwner(ctx, orgID); err != nil {
				return err
			}
		}
		if err := o.Store.UpdateMembershipRole(ctx, orgID, userID, role); err != nil {
			return err
		}
		return o.audit(ctx, actor, "member.role_changed", orgID, userID, map[string]string{"from": m.Role, "to": role})
	})
}
