package provisioning

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// User is a user as the organization's SCIM client sees them.
type User struct {
	ID    string
	Email string
	// Name is the account's display name.
	Name       string
	GivenName  string
	FamilyName string
	ExternalID string
	// Emails is the client's list; without one, the account's address.
	Emails []storage.ScimEmail
	Active bool
	// Role is the membership's role, or the one an inactive user gets back.
	Role        string
	Provisioned bool
	Created     time.Time
	Modified    time.Time
}

// UserInput is what the SCIM client sets of a user (RFC 7643 §4.1:
// userName is the address).
type UserInput struct {
	Email       string
	DisplayName string
	GivenName   string
	FamilyName  string
	ExternalID  string
	Emails      []storage.ScimEmail
	Active      bool
}

// name is the display name an input gives the account.
func (in UserInput) name() string {
	if n := strings.TrimSpace(in.DisplayName); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(in.GivenName) + " " + strings.TrimSpace(in.FamilyName))
}

func (in UserInput) check() error {
	for _, v := range []string{in.ExternalID, in.GivenName, in.FamilyName, in.DisplayName} {
		if len([]rune(v)) > 200 {
			return ErrInvalid.New("Names and externalId are at most 200 characters.")
		}
	}
	if len(in.Emails) > 10 {
		return ErrInvalid.New("At most 10 emails.")
	}
	for _, e := range in.Emails {
		if _, err := accounts.NormalizeEmail(e.Value); err != nil {
			return ErrInvalid.Newf("emails: %q is not an address.", e.Value)
		}
		if len(e.Type) > 50 {
			return ErrInvalid.New("emails: type is at most 50 characters.")
		}
	}
	return nil
}

// DefaultRole is the role a provisioned member starts with: the one the
// organization's single sign-on gives, else member.
func (s *Service) DefaultRole(ctx context.Context, orgID string) (string, error) {
	c, err := s.Store.GetOrgConnector(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && c.DefaultRole == "") {
		return accounts.RoleMember, nil
	}
	if err != nil {
		return "", err
	}
	return c.DefaultRole, nil
}

// view joins the account, the membership (nil when there is none) and the
// SCIM record (zero when there is none).
func view(u storage.User, m *storage.Membership, r storage.ScimUser, hasRecord bool) User {
	v := User{ID: u.ID, Email: u.Email, Name: u.Name, Created: u.CreatedAt, Modified: u.UpdatedAt, Active: true}
	if m != nil {
		v.Role = m.Role
		if m.CreatedAt.After(v.Created) {
			v.Created = m.CreatedAt
		}
	}
	if hasRecord {
		v.GivenName, v.FamilyName, v.ExternalID, v.Active, v.Provisioned = r.GivenName, r.FamilyName, r.ExternalID, r.Active, r.Provisioned
		v.Emails = r.Emails
		v.Created = r.CreatedAt
		if r.UpdatedAt.After(v.Modified) {
			v.Modified = r.UpdatedAt
		}
		if m == nil {
			v.Role = r.Role
		}
	}
	if u.Disabled {
		v.Active = false
	}
	if len(v.Emails) == 0 {
		v.Emails = []storage.ScimEmail{{Value: u.Email, Type: "work", Primary: true}}
	}
	return v
}

// ListUsers is every user of the organization as SCIM sees them: its
// members, and the users SCIM deactivated there, in order of creation.
func (s *Service) ListUsers(ctx context.Context, orgID string) ([]User, error) {
	if _, err := s.Store.GetOrg(ctx, orgID); err != nil {
		return nil, fmt.Errorf("organization %q: %w", orgID, err)
	}
	members, err := s.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	records, err := s.Store.ListScimUsers(ctx, orgID)
	if err != nil {
		return nil, err
	}
	byUser := make(map[string]storage.ScimUser, len(records))
	for _, r := range records {
		byUser[r.UserID] = r
	}
	var out []User
	for _, r := range records {
		m, err := s.Store.GetMembership(ctx, orgID, r.UserID)
		var mp *storage.Membership
		if err == nil {
			mp = &m
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		u, err := s.Store.GetUser(ctx, r.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, view(u, mp, r, true))
	}
	for _, m := range members {
		if _, ok := byUser[m.UserID]; ok {
			continue
		}
		u, err := s.Store.GetUser(ctx, m.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, view(u, &m, storage.ScimUser{}, false))
	}
	return out, nil
}

// GetUser returns the organization's user; ErrNotFound for anyone else.
func (s *Service) GetUser(ctx context.Context, orgID, userID string) (User, error) {
	v, _, err := s.get(ctx, orgID, userID)
	return v, err
}

// get reads the user in the organization, and says whether a SCIM record
// exists.
func (s *Service) get(ctx context.Context, orgID, userID string) (User, bool, error) {
	r, err := s.Store.GetScimUser(ctx, orgID, userID)
	hasRecord := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return User{}, false, err
	}
	m, err := s.Store.GetMembership(ctx, orgID, userID)
	var mp *storage.Membership
	if err == nil {
		mp = &m
	} else if !errors.Is(err, storage.ErrNotFound) {
		return User{}, false, err
	}
	if mp == nil && !hasRecord {
		return User{}, false, ErrNotFound.Newf("No user %q in this organization.", userID)
	}
	u, err := s.Store.GetUser(ctx, userID)
	if err != nil {
		return User{}, false, err
	}
	return view(u, mp, r, hasRecord), hasRecord, nil
}

// record makes sure the user has a SCIM record in the organization (a
// member SCIM finds gets one, not provisioned), and returns it.
func (s *Service) record(ctx context.Context, orgID string, v User, has bool) (storage.ScimUser, error) {
	if has {
		return s.Store.GetScimUser(ctx, orgID, v.ID)
	}
	now := s.Now().UTC()
	r := storage.ScimUser{OrgID: orgID, UserID: v.ID, Active: true, Role: v.Role, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateScimUser(ctx, r); err != nil {
		return storage.ScimUser{}, fmt.Errorf("SCIM record of %q: %w", v.ID, err)
	}
	return r, nil
}

// CreateUser provisions a user in the organization: the account is made
// if no account has the address (and marked as SCIM's), and the
// membership is added with the organization's default role. A user the
// organization has already is ErrConflict.
func (s *Service) CreateUser(ctx context.Context, actor accounts.Actor, orgID string, in UserInput) (User, error) {
	if err := in.check(); err != nil {
		return User{}, err
	}
	email, err := accounts.NormalizeEmail(in.Email)
	if err != nil {
		return User{}, ErrInvalid.New("userName must be the user's email address.")
	}
	role, err := s.DefaultRole(ctx, orgID)
	if err != nil {
		return User{}, err
	}
	var out User
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Store.GetOrg(ctx, orgID); err != nil {
			return fmt.Errorf("organization %q: %w", orgID, err)
		}
		provisioned := false
		u, err := s.Store.GetUserByEmail(ctx, email)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			if u, err = s.Users.CreateProvisioned(ctx, email, in.name()); err != nil {
				return err
			}
			provisioned = true
		case err != nil:
			return err
		default:
			if _, _, err := s.get(ctx, orgID, u.ID); err == nil {
				return ErrConflict.Newf("A user with userName %q exists in this organization already.", email)
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			if u.Disabled {
				return ErrConflict.Newf("The account of %q is disabled; an instance administrator must enable it first.", email)
			}
		}
		if err := s.Orgs.AddMember(ctx, actor, orgID, u.ID, role); err != nil {
			return err
		}
		now := s.Now().UTC()
		r := storage.ScimUser{OrgID: orgID, UserID: u.ID, ExternalID: strings.TrimSpace(in.ExternalID),
			GivenName: strings.TrimSpace(in.GivenName), FamilyName: strings.TrimSpace(in.FamilyName), Emails: in.Emails,
			Provisioned: provisioned, Active: true, Role: role, CreatedAt: now, UpdatedAt: now}
		if err := s.Store.CreateScimUser(ctx, r); err != nil {
			return fmt.Errorf("SCIM record: %w", err)
		}
		if err := s.audit(ctx, actor, "scim.user_created", orgID, u.ID, map[string]string{
			"provisioned": fmt.Sprint(provisioned), "role": role, "external_id": r.ExternalID}); err != nil {
			return err
		}
		if !in.Active {
			if err := s.setActive(ctx, actor, orgID, u.ID, false); err != nil {
				return err
			}
		}
		out, _, err = s.get(ctx, orgID, u.ID)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// ReplaceUser sets every attribute the SCIM client manages to in (PUT):
// names, externalId, emails, active and, for an account SCIM created that
// belongs to no other organization, the address.
func (s *Service) ReplaceUser(ctx context.Context, actor accounts.Actor, orgID, userID string, in UserInput) (User, error) {
	return s.UpdateUser(ctx, actor, orgID, userID, func(User) (UserInput, error) { return in, nil })
}

// UpdateUser is ReplaceUser with the input that build makes of the user as
// they are, inside the change's transaction: a PATCH applies its
// operations there, and an If-Match is checked against what is written
// over.
func (s *Service) UpdateUser(ctx context.Context, actor accounts.Actor, orgID, userID string, build func(User) (UserInput, error)) (User, error) {
	var out User
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		v, has, err := s.get(ctx, orgID, userID)
		if err != nil {
			return err
		}
		in, err := build(v)
		if err != nil {
			return err
		}
		if err := in.check(); err != nil {
			return err
		}
		email, err := accounts.NormalizeEmail(in.Email)
		if err != nil {
			return ErrInvalid.New("userName must be the user's email address.")
		}
		r, err := s.record(ctx, orgID, v, has)
		if err != nil {
			return err
		}
		owned, err := s.owns(ctx, orgID, r)
		if err != nil {
			return err
		}
		if !strings.EqualFold(email, v.Email) {
			if !owned {
				return ErrMutability.New("userName (the address) of an account that is not this organization's alone cannot be changed.")
			}
			if _, err := s.Users.SetEmail(ctx, actor, userID, email, false); err != nil {
				if errors.Is(err, storage.ErrAlreadyExists) {
					return ErrConflict.Newf("Another account has the address %q.", email)
				}
				return err
			}
		}
		if name := in.name(); owned && name != "" && name != v.Name {
			if err := s.Users.SetName(ctx, actor, userID, name); err != nil {
				return err
			}
		}
		changed := false
		err = s.Store.UpdateScimUser(ctx, orgID, userID, func(r storage.ScimUser) (storage.ScimUser, error) {
			next := r
			next.ExternalID, next.GivenName, next.FamilyName = strings.TrimSpace(in.ExternalID), strings.TrimSpace(in.GivenName), strings.TrimSpace(in.FamilyName)
			next.Emails = in.Emails
			if !reflect.DeepEqual(next, r) {
				changed = true
				next.UpdatedAt = s.Now().UTC()
			}
			return next, nil
		})
		if err != nil {
			return err
		}
		if changed || !strings.EqualFold(email, v.Email) {
			if err := s.audit(ctx, actor, "scim.user_updated", orgID, userID, nil); err != nil {
				return err
			}
		}
		if in.Active != v.Active {
			if err := s.setActive(ctx, actor, orgID, userID, in.Active); err != nil {
				return err
			}
		}
		out, _, err = s.get(ctx, orgID, userID)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// owns reports whether the organization alone holds the account: SCIM
// created it there and it belongs to no other organization (and it is no
// instance administrator). Only then may SCIM disable it or change its
// address and name.
func (s *Service) owns(ctx context.Context, orgID string, r storage.ScimUser) (bool, error) {
	if !r.Provisioned {
		return false, nil
	}
	u, err := s.Store.GetUser(ctx, r.UserID)
	if err != nil {
		return false, err
	}
	if u.Admin {
		return false, nil
	}
	ms, err := s.Store.ListMembershipsByUser(ctx, r.UserID)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m.OrgID != orgID {
			return false, nil
		}
	}
	return true, nil
}

// setActive deactivates or reactivates the user in the organization (see
// the package comment), in the caller's transaction.
func (s *Service) setActive(ctx context.Context, actor accounts.Actor, orgID, userID string, active bool) error {
	r, err := s.Store.GetScimUser(ctx, orgID, userID)
	if err != nil {
		return err
	}
	owned, err := s.owns(ctx, orgID, r)
	if err != nil {
		return err
	}
	m, err := s.Store.GetMembership(ctx, orgID, userID)
	member := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	role := r.Role
	if member {
		role = m.Role
	}
	if active {
		u, err := s.Store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			if !owned {
				return ErrMutability.New("The account is disabled by an instance administrator; SCIM cannot enable it.")
			}
			if err := s.Users.Enable(ctx, actor, userID); err != nil {
				return err
			}
		}
		if !member {
			if role == "" {
				if role, err = s.DefaultRole(ctx, orgID); err != nil {
					return err
				}
			}
			if err := s.Orgs.AddMember(ctx, actor, orgID, userID, role); err != nil {
				return err
			}
		}
	} else {
		if member && m.Role == accounts.RoleOwner {
			return accounts.ErrForbidden.New("SCIM acts as an admin of the organization and cannot deactivate an owner.")
		}
		if owned {
			if err := s.Users.Disable(ctx, actor, userID); err != nil {
				return err
			}
		} else if member {
			if err := s.Orgs.RemoveMember(ctx, actor, orgID, userID); err != nil {
				return err
			}
		}
	}
	err = s.Store.UpdateScimUser(ctx, orgID, userID, func(r storage.ScimUser) (storage.ScimUser, error) {
		r.Active, r.Role, r.UpdatedAt = active, role, s.Now().UTC()
		return r, nil
	})
	if err != nil {
		return err
	}
	typ := "scim.user_deactivated"
	if active {
		typ = "scim.user_reactivated"
	}
	how := "membership"
	if owned {
		how = "account"
	}
	return s.audit(ctx, actor, typ, orgID, userID, map[string]string{"scope": how})
}

// DeleteUser removes the user from the organization: the membership and
// the SCIM record go, and an account SCIM created that belongs to no
// other organization is disabled.
// check, when set, may refuse the user as they are (an If-Match), inside
// the transaction.
func (s *Service) DeleteUser(ctx context.Context, actor accounts.Actor, orgID, userID string, check func(User) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		v, has, err := s.get(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(v); err != nil {
				return err
			}
		}
		r, err := s.record(ctx, orgID, v, has)
		if err != nil {
			return err
		}
		owned, err := s.owns(ctx, orgID, r)
		if err != nil {
			return err
		}
		if m, err := s.Store.GetMembership(ctx, orgID, userID); err == nil {
			if m.Role == accounts.RoleOwner {
				return accounts.ErrForbidden.New("SCIM acts as an admin of the organization and cannot remove an owner.")
			}
			if err := s.Orgs.RemoveMember(ctx, actor, orgID, userID); err != nil {
				return err
			}
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if owned {
			u, err := s.Store.GetUser(ctx, userID)
			if err != nil {
				return err
			}
			if !u.Disabled {
				if err := s.Users.Disable(ctx, actor, userID); err != nil {
					return err
				}
			}
		}
		if err := s.Store.DeleteScimUser(ctx, orgID, userID); err != nil {
			return err
		}
		return s.audit(ctx, actor, "scim.user_deleted", orgID, userID, map[string]string{"disabled": fmt.Sprint(owned)})
	})
}
