package sqlite

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const orgCols = `id, name, require_mfa, require_passkey, attributes, created_at, updated_at`

func scanOrg(r rowScanner) (storage.Organization, error) {
	var o storage.Organization
	err := r.Scan(&o.ID, &o.Name, &o.RequireMFA, &o.RequirePasskey, objectCol{&o.Attributes}, timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt})
	return o, err
}

// CreateOrg returns storage.ErrAlreadyExists if the id or the name is taken.
func (s *Store) CreateOrg(ctx context.Context, o storage.Organization) error {
	attrs, err := object(o.Attributes)
	if err != nil {
		return fmt.Errorf("sqlite: create organization %q: %w", o.ID, err)
	}
	_, err = s.exec(ctx, `INSERT INTO organizations (`+orgCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`, o.ID, o.Name, o.RequireMFA, o.RequirePasskey, attrs, ts(o.CreatedAt), ts(o.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create organization %q: %w", o.ID, err)
	}
	return nil
}

// GetOrg returns storage.ErrNotFound.
func (s *Store) GetOrg(ctx context.Context, id string) (storage.Organization, error) {
	o, err := scanOrg(s.q(ctx).QueryRowContext(ctx, `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id))
	if err != nil {
		return storage.Organization{}, fmt.Errorf("sqlite: get organization: %w", noRows(err, "organization %q", id))
	}
	return o, nil
}

// ListOrgs returns every organization ordered by name.
func (s *Store) ListOrgs(ctx context.Context) ([]storage.Organization, error) {
	out, err := queryList(ctx, s, scanOrg, `SELECT `+orgCols+` FROM organizations ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list organizations: %w", err)
	}
	return out, nil
}

// UpdateOrg applies fn in one transaction. storage.ErrNotFound;
// storage.ErrAlreadyExists on a taken name. The id cannot change.
func (s *Store) UpdateOrg(ctx context.Context, id string, fn func(storage.Organization) (storage.Organization, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.GetOrg(ctx, id)
		if err != nil {
			return err
		}
		o, err := fn(old)
		if err != nil {
			return err
		}
		attrs, err := object(o.Attributes)
		if err != nil {
			return fmt.Errorf("sqlite: update organization %q: %w", id, err)
		}
		_, err = s.exec(ctx, `UPDATE organizations SET name = ?, require_mfa = ?, require_passkey = ?, attributes = ?, created_at = ?, updated_at = ? WHERE id = ?`,
			o.Name, o.RequireMFA, o.RequirePasskey, attrs, ts(o.CreatedAt), ts(o.UpdatedAt), id)
		if err != nil {
			return fmt.Errorf("sqlite: update organization %q: %w", id, err)
		}
		return nil
	})
}

// DeleteOrg removes the organization; its memberships go by cascade.
func (s *Store) DeleteOrg(ctx context.Context, id string) error {
	if err := s.execOne(ctx, notFound("organization %q", id), `DELETE FROM organizations WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete organization: %w", err)
	}
	return nil
}

// membershipSelect reads memberships with the organization's current name
// and requirements.
const membershipSelect = `SELECT m.org_id, m.user_id, m.role, o.name, o.require_mfa, o.require_passkey, m.attributes, m.created_at
	FROM memberships m JOIN organizations o ON o.id = m.org_id`

func scanMembership(r rowScanner) (storage.Membership, error) {
	var m storage.Membership
	err := r.Scan(&m.OrgID, &m.UserID, &m.Role, &m.OrgName, &m.OrgRequireMFA, &m.OrgRequirePasskey, objectCol{&m.Attributes}, timeCol{&m.CreatedAt})
	return m, err
}

// AddMembership returns storage.ErrNotFound if the organization or the user
// does not exist (a foreign key), storage.ErrAlreadyExists if the user is
// a member already.
func (s *Store) AddMembership(ctx context.Context, m storage.Membership) error {
	attrs, err := object(m.Attributes)
	if err != nil {
		return fmt.Errorf("sqlite: add user %q to organization %q: %w", m.UserID, m.OrgID, err)
	}
	_, err = s.exec(ctx, `INSERT INTO memberships (org_id, user_id, role, attributes, created_at) VALUES (?, ?, ?, ?, ?)`,
		m.OrgID, m.UserID, m.Role, attrs, ts(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: add user %q to organization %q: %w", m.UserID, m.OrgID, err)
	}
	return nil
}

// GetMembership returns storage.ErrNotFound.
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error) {
	m, err := scanMembership(s.q(ctx).QueryRowContext(ctx, membershipSelect+` WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID))
	if err != nil {
		return storage.Membership{}, fmt.Errorf("sqlite: get membership: %w",
			noRows(err, "membership of user %q in organization %q", userID, orgID))
	}
	return m, nil
}

// ListMembershipsByUser returns the user's memberships ordered by
// organization name.
func (s *Store) ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error) {
	out, err := queryList(ctx, s, scanMembership, membershipSelect+` WHERE m.user_id = ? ORDER BY o.name, o.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list memberships of user %q: %w", userID, err)
	}
	return out, nil
}

// ListMembersByOrg returns the organization's memberships ordered by
// creation time.
func (s *Store) ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error) {
	out, err := queryList(ctx, s, scanMembership, membershipSelect+` WHERE m.org_id = ? ORDER BY m.created_at, m.user_id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members of organization %q: %w", orgID, err)
	}
	return out, nil
}

// UpdateMembershipRole returns storage.ErrNotFound.
func (s *Store) UpdateMembershipRole(ctx context.Context, orgID, userID, role string) error {
	err := s.execOne(ctx, notFound("membership of user %q in organization %q", userID, orgID),
		`UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`, role, orgID, userID)
	if err != nil {
		return fmt.Errorf("sqlite: update membership role: %w", err)
	}
	return nil
}

// UpdateMembership applies fn in one transaction and stores the role and
// the attributes it returns. storage.ErrNotFound.
func (s *Store) UpdateMembership(ctx context.Context, orgID, userID string, fn func(storage.Membership) (storage.Membership, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.GetMembership(ctx, orgID, userID)
		if err != nil {
			return err
		}
		m, err := fn(old)
		if err != nil {
			return err
		}
		attrs, err := object(m.Attributes)
		if err != nil {
			return fmt.Errorf("sqlite: update membership: %w", err)
		}
		_, err = s.exec(ctx, `UPDATE memberships SET role = ?, attributes = ? WHERE org_id = ? AND user_id = ?`,
			m.Role, attrs, orgID, userID)
		if err != nil {
			return fmt.Errorf("sqlite: update membership of user %q in organization %q: %w", userID, orgID, err)
		}
		return nil
	})
}

// DeleteMembership returns storage.ErrNotFound.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID string) error {
	err := s.execOne(ctx, notFound("membership of user %q in organization %q", userID, orgID),
		`DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete membership: %w", err)
	}
	return nil
}

func scanOrgRole(r rowScanner) (storage.OrgRole, error) {
	var o storage.OrgRole
	err := r.Scan(&o.OrgID, &o.Name, &o.Description, timeCol{&o.CreatedAt})
	return o, err
}

// CreateOrgRole returns storage.ErrNotFound for an unknown organization (a
// foreign key) and storage.ErrAlreadyExists for a role defined already.
func (s *Store) CreateOrgRole(ctx context.Context, r storage.OrgRole) error {
	_, err := s.exec(ctx, `INSERT INTO org_roles (org_id, name, description, created_at) VALUES (?, ?, ?, ?)`,
		r.OrgID, r.Name, r.Description, ts(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create role %q in organization %q: %w", r.Name, r.OrgID, err)
	}
	return nil
}

// ListOrgRoles returns the organization's custom roles ordered by name.
func (s *Store) ListOrgRoles(ctx context.Context, orgID string) ([]storage.OrgRole, error) {
	out, err := queryList(ctx, s, scanOrgRole,
		`SELECT org_id, name, description, created_at FROM org_roles WHERE org_id = ? ORDER BY name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list roles of organization %q: %w", orgID, err)
	}
	return out, nil
}

// DeleteOrgRole returns storage.ErrNotFound, and storage.ErrConflict while
// a member holds the role. The check and the delete are one transaction.
func (s *Store) DeleteOrgRole(ctx context.Context, orgID, name string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		var held int
		err := s.q(ctx).QueryRowContext(ctx,
			`SELECT count(*) FROM memberships WHERE org_id = ? AND role = ?`, orgID, name).Scan(&held)
		if err != nil {
			return fmt.Errorf("sqlite: delete role %q: %w", name, wrapDB(err))
		}
		if held > 0 {
			return fmt.Errorf("sqlite: delete role %q: %d members hold it: %w", name, held, storage.ErrConflict)
		}
		err = s.execOne(ctx, notFound("role %q in organization %q", name, orgID),
			`DELETE FROM org_roles WHERE org_id = ? AND name = ?`, orgID, name)
		if err != nil {
			return fmt.Errorf("sqlite: delete role: %w", err)
		}
		return nil
	})
}
