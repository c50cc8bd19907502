package sqlite

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

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
