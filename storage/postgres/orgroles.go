package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

func scanOrgRole(row pgx.Row) (storage.OrgRole, error) {
	var r storage.OrgRole
	err := row.Scan(&r.OrgID, &r.Name, &r.Description, scanTime(&r.CreatedAt))
	return r, err
}

// CreateOrgRole returns storage.ErrNotFound for an unknown organization and
// storage.ErrAlreadyExists for a role defined already.
func (s *Store) CreateOrgRole(ctx context.Context, r storage.OrgRole) error {
	op := fmt.Sprintf("postgres: create role %q in %q", r.Name, r.OrgID)
	q := s.q(ctx)
	// As in AddMembership: refusals become zero rows, not errors that would
	// abort the caller's transaction.
	tag, err := q.Exec(ctx, `INSERT INTO org_roles (org_id, name, description, created_at)
		SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1)
		ON CONFLICT DO NOTHING`, r.OrgID, r.Name, r.Description, ts(r.CreatedAt))
	if err != nil {
		if pgCode(err) == codeForeignKeyViolation {
			return fmt.Errorf("%s: %w (%w)", op, storage.ErrNotFound, err)
		}
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var org bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)`, r.OrgID).Scan(&org); err != nil {
		return dbErr(op, err)
	}
	if !org {
		return fmt.Errorf("%s: no such organization: %w", op, storage.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
}

// ListOrgRoles returns the organization's custom roles ordered by name.
func (s *Store) ListOrgRoles(ctx context.Context, orgID string) ([]storage.OrgRole, error) {
	op := fmt.Sprintf("postgres: list roles of %q", orgID)
	rows, err := s.q(ctx).Query(ctx,
		`SELECT org_id, name, description, created_at FROM org_roles WHERE org_id = $1 ORDER BY name`, orgID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanOrgRole)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// DeleteOrgRole returns storage.ErrNotFound, and storage.ErrConflict while
// a member holds the role. The check and the delete run in one serializable
// transaction, so a concurrent role change cannot slip between them.
func (s *Store) DeleteOrgRole(ctx context.Context, orgID, name string) error {
	op := fmt.Sprintf("postgres: delete role %q in %q", name, orgID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		var held int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM memberships WHERE org_id = $1 AND role = $2`, orgID, name).Scan(&held); err != nil {
			return dbErr(op, err)
		}
		if held > 0 {
			return fmt.Errorf("%s: %d members hold it: %w", op, held, storage.ErrConflict)
		}
		tag, err := q.Exec(ctx, `DELETE FROM org_roles WHERE org_id = $1 AND name = $2`, orgID, name)
		if err != nil {
			return dbErr(op, err)
		}
		if tag.RowsAffected() == 0 {
			return notFound(op)
		}
		return nil
	})
}
