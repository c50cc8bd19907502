package provisioning

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// Group is one of the organization's roles as a SCIM group: its members
// are the users who hold the role.
type Group struct {
	Role        string
	Description string
	Members     []GroupMember
}

// GroupMember is a user in a group.
type GroupMember struct {
	UserID string
	Email  string
}

// ListGroups is the organization's roles, built-in first, each with its
// members.
func (s *Service) ListGroups(ctx context.Context, orgID string) ([]Group, error) {
	if _, err := s.Store.GetOrg(ctx, orgID); err != nil {
		return nil, fmt.Errorf("organization %q: %w", orgID, err)
	}
	roles, err := s.Orgs.Roles(ctx, orgID)
	if err != nil {
		return nil, err
	}
	members, err := s.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(roles))
	index := map[string]int{}
	for _, r := range roles {
		index[r.Name] = len(out)
		out = append(out, Group{Role: r.Name, Description: r.Description})
	}
	for _, m := range members {
		i, ok := index[m.Role]
		if !ok {
			continue
		}
		u, err := s.Store.GetUser(ctx, m.UserID)
		if err != nil {
			return nil, err
		}
		out[i].Members = append(out[i].Members, GroupMember{UserID: m.UserID, Email: u.Email})
	}
	return out, nil
}

// GetGroup returns the role's group; ErrNotFound for a role the
// organization does not offer.
func (s *Service) GetGroup(ctx context.Context, orgID, role string) (Group, error) {
	groups, err := s.ListGroups(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	for _, g := range groups {
		if g.Role == role {
			return g, nil
		}
	}
	return Group{}, ErrNotFound.Newf("No group %q in this organization.", role)
}

// ChangeGroup gives the role to the users in add and takes it from those
// in remove (who get the organization's default role back); with replace,
// every current holder not in add loses it. Users the organization does
// not have are ErrInvalid. Owners are the owners' to change: SCIM acts as
// an admin.
func (s *Service) ChangeGroup(ctx context.Context, actor accounts.Actor, orgID, role string, add, remove []string, replace bool) (Group, error) {
	var out Group
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		g, err := s.GetGroup(ctx, orgID, role)
		if err != nil {
			return err
		}
		fallback, err := s.DefaultRole(ctx, orgID)
		if err != nil {
			return err
		}
		if replace {
			for _, m := range g.Members {
				if !slices.Contains(add, m.UserID) {
					remove = append(remove, m.UserID)
				}
			}
		}
		for _, id := range add {
			if err := s.giveRole(ctx, actor, orgID, id, role); err != nil {
				return err
			}
		}
		for _, id := range remove {
			if slices.Contains(add, id) || fallback == role {
				continue
			}
			m, err := s.Store.GetMembership(ctx, orgID, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if m.Role != role {
				continue
			}
			if err := s.giveRole(ctx, actor, orgID, id, fallback); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, actor, "scim.group_changed", orgID, "", map[string]string{"group": role,
			"added": fmt.Sprint(len(add)), "removed": fmt.Sprint(len(remove))}); err != nil {
			return err
		}
		out, err = s.GetGroup(ctx, orgID, role)
		return err
	})
	return out, err
}

// giveRole sets the member's role, or the role an inactive user gets back.
func (s *Service) giveRole(ctx context.Context, actor accounts.Actor, orgID, userID, role string) error {
	if _, err := s.Store.GetMembership(ctx, orgID, userID); err == nil {
		return s.Orgs.SetRole(ctx, actor, orgID, userID, role)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if role == accounts.RoleOwner {
		return accounts.ErrForbidden.New("SCIM acts as an admin of the organization and cannot make owners.")
	}
	err := s.Store.UpdateScimUser(ctx, orgID, userID, func(r storage.ScimUser) (storage.ScimUser, error) {
		r.Role, r.UpdatedAt = role, s.Now().UTC()
		return r, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ErrInvalid.Newf("No user %q in this organization.", userID)
	}
	return err
}

// CreateGroup defines a custom role named name (a group pushed by the
// directory); ErrConflict when the organization offers it already.
func (s *Service) CreateGroup(ctx context.Context, actor accounts.Actor, orgID, name string) (Group, error) {
	if _, err := s.GetGroup(ctx, orgID, name); err == nil {
		return Group{}, ErrConflict.Newf("The organization has a group (role) %q already.", name)
	}
	if err := s.Orgs.DefineRole(ctx, actor, orgID, name, "Pushed by the directory (SCIM)"); err != nil {
		return Group{}, err
	}
	return s.GetGroup(ctx, orgID, name)
}

// DeleteGroup removes a custom role nobody holds; built-in roles stay.
func (s *Service) DeleteGroup(ctx context.Context, actor accounts.Actor, orgID, name string) error {
	if _, err := s.GetGroup(ctx, orgID, name); err != nil {
		return err
	}
	if accounts.IsBuiltInRole(name) {
		return ErrMutability.Newf("%q is a built-in role and cannot be deleted.", name)
	}
	return s.Orgs.DeleteRole(ctx, actor, orgID, name)
}
