package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const orgColumns = `id, name, require_mfa, require_passkey, attributes, created_at, updated_at`

func scanOrg(row pgx.Row) (storage.Organization, error) {
	var o storage.Organization
	err := row.Scan(&o.ID, &o.Name, &o.RequireMFA, &o.RequirePasskey, scanObject(&o.Attributes), scanTime(&o.CreatedAt), scanTime(&o.UpdatedAt))
	return o, err
}

// CreateOrg returns storage.ErrAlreadyExists if the id or the name is taken.
func (s *Store) CreateOrg(ctx context.Context, o storage.Organization) error {
	attrs, err := object(o.Attributes)
	if err != nil {
		return fmt.Errorf("postgres: create organization %q: %w", o.ID, err)
	}
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`, o.ID, o.Name, o.RequireMFA, o.RequirePasskey, attrs, ts(o.CreatedAt), ts(o.UpdatedAt))
	if err != nil {
		return dbErr("postgres: create organization", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create organization %q: id or name taken: %w", o.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// GetOrg returns storage.ErrNotFound.
func (s *Store) GetOrg(ctx context.Context, id string) (storage.Organization, error) {
	o, err := scanOrg(s.q(ctx).QueryRow(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if err != nil {
		return storage.Organization{}, rowErr(fmt.Sprintf("postgres: get organization %q", id), err)
	}
	return o, nil
}

// ListOrgs returns every organization ordered by name.
func (s *Store) ListOrgs(ctx context.Context) ([]storage.Organization, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY name, id`)
	if err != nil {
		return nil, dbErr("postgres: list organizations", err)
	}
	out, err := collect(rows, scanOrg)
	if err != nil {
		return nil, dbErr("postgres: list organizations", err)
	}
	return out, nil
}

// UpdateOrg applies fn under a row lock. storage.ErrNotFound;
// storage.ErrAlreadyExists on a taken name; errors from fn come back
// unchanged.
func (s *Store) UpdateOrg(ctx context.Context, id string, fn func(storage.Organization) (storage.Organization, error)) error {
	op := fmt.Sprintf("postgres: update organization %q", id)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanOrg(q.QueryRow(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return rowErr(op, err)
		}
		o, err := fn(old)
		if err != nil {
			return err
		}
		if o.Name != old.Name {
			// As in UpdateUser: refuse a taken name without aborting the
			// caller's transaction.
			var taken bool
			if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organizations WHERE name = $1)`, o.Name).Scan(&taken); err != nil {
				return dbErr(op, err)
			}
			if taken {
				return fmt.Errorf("%s: name taken: %w", op, storage.ErrAlreadyExists)
			}
		}
		attrs, err := object(o.Attributes)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		_, err = q.Exec(ctx, `UPDATE organizations SET name = $2, require_mfa = $3, require_passkey = $4, attributes = $5, created_at = $6, updated_at = $7 WHERE id = $1`,
			id, o.Name, o.RequireMFA, o.RequirePasskey, attrs, ts(o.CreatedAt), ts(o.UpdatedAt))
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteOrg removes the organization and, by cascade, its memberships.
// storage.ErrNotFound.
func (s *Store) DeleteOrg(ctx context.Context, id string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM organizations WHERE id = $1`, id)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: delete organization %q", id), err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(fmt.Sprintf("postgres: delete organization %q", id))
	}
	return nil
}

// membershipSelect reads memberships with the organization's current name
// and requirements.
const membershipSelect = `SELECT m.org_id, m.user_id, m.role, o.name, o.require_mfa, o.require_passkey, m.attributes, m.created_at
	FROM memberships m JOIN organizations o ON o.id = m.org_id`

func scanMembership(row pgx.Row) (storage.Membership, error) {
	var m storage.Membership
	err := row.Scan(&m.OrgID, &m.UserID, &m.Role, &m.OrgName, &m.OrgRequireMFA, &m.OrgRequirePasskey, scanObject(&m.Attributes), scanTime(&m.CreatedAt))
	return m, err
}

// AddMembership returns storage.ErrNotFound if the organization or the user
// does not exist, storage.ErrAlreadyExists if the user is a member
// already.
func (s *Store) AddMembership(ctx context.Context, m storage.Membership) error {
	op := fmt.Sprintf("postgres: add membership of %q in %q", m.UserID, m.OrgID)
	attrs, err := object(m.Attributes)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	q := s.q(ctx)
	// The EXISTS guards and ON CONFLICT turn the usual refusals into zero
	// rows instead of errors that would abort the caller's transaction; the
	// foreign keys still catch a parent deleted concurrently.
	tag, err := q.Exec(ctx, `INSERT INTO memberships (org_id, user_id, role, attributes, created_at)
		SELECT $1, $2, $3, $4::jsonb, $5
		WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING`, m.OrgID, m.UserID, m.Role, attrs, ts(m.CreatedAt))
	if err != nil {
		if pgCode(err) == codeForeignKeyViolation {
			return fmt.Errorf("%s: %w (%w)", op, storage.ErrNotFound, err)
		}
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var member bool
	err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2)`,
		m.OrgID, m.UserID).Scan(&member)
	if err != nil {
		return dbErr(op, err)
	}
	if member {
		return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
	}
	return fmt.Errorf("%s: no such organization or user: %w", op, storage.ErrNotFound)
}

// GetMembership returns storage.ErrNotFound.
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error) {
	m, err := scanMembership(s.q(ctx).QueryRow(ctx, membershipSelect+` WHERE m.org_id = $1 AND m.user_id = $2`, orgID, userID))
	if err != nil {
		return storage.Membership{}, rowErr(fmt.Sprintf("postgres: get membership of %q in %q", userID, orgID), err)
	}
	return m, nil
}

// ListMembershipsByUser returns the user's memberships ordered by
// organization name.
func (s *Store) ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error) {
	return s.listMemberships(ctx, fmt.Sprintf("postgres: list memberships of %q", userID),
		membershipSelect+` WHERE m.user_id = $1 ORDER BY o.name, m.org_id`, userID)
}

// ListMembersByOrg returns the organization's memberships ordered by
// creation time.
func (s *Store) ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error) {
	return s.listMemberships(ctx, fmt.Sprintf("postgres: list members of %q", orgID),
		membershipSelect+` WHERE m.org_id = $1 ORDER BY m.created_at NULLS FIRST, m.user_id`, orgID)
}

func (s *Store) listMemberships(ctx context.Context, op, query string, arg string) ([]storage.Membership, error) {
	rows, err := s.q(ctx).Query(ctx, query, arg)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanMembership)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// UpdateMembershipRole changes the role. storage.ErrNotFound.
func (s *Store) UpdateMembershipRole(ctx context.Context, orgID, userID, role string) error {
	op := fmt.Sprintf("postgres: update role of %q in %q", userID, orgID)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2`, orgID, userID, role)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// UpdateMembership applies fn under a row lock and stores the role and the
// attributes it returns. storage.ErrNotFound; errors from fn come back
// unchanged.
func (s *Store) UpdateMembership(ctx context.Context, orgID, userID string, fn func(storage.Membership) (storage.Membership, error)) error {
	op := fmt.Sprintf("postgres: update membership of %q in %q", userID, orgID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanMembership(q.QueryRow(ctx, membershipSelect+` WHERE m.org_id = $1 AND m.user_id = $2 FOR UPDATE OF m`, orgID, userID))
		if err != nil {
			return rowErr(op, err)
		}
		m, err := fn(old)
		if err != nil {
			return err
		}
		attrs, err := object(m.Attributes)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		_, err = q.Exec(ctx, `UPDATE memberships SET role = $3, attributes = $4 WHERE org_id = $1 AND user_id = $2`,
			orgID, userID, m.Role, attrs)
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteMembership returns storage.ErrNotFound.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID string) error {
	op := fmt.Sprintf("postgres: delete membership of %q in %q", userID, orgID)
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

func scanOrgRole(row pgx.Row) (storage.OrgRole, error) {
	var r storage.OrgRole
	err := row.Scan(&r.OrgID, &r.Name, &r.Description, scanTime(&r.CreatedAt))
	return r, err
}

// CreateOrgRole returns storage.ErrNotFound for an unknown organization and
// storage.ErrAlreadyExists for a role defined already.
func (s *Store) CreateOrgRole(ctx context.Context, r storage.OrgRole) error {
	op := fmt.Sprintf("postgres: create role %q in %q", r.Name, r.OrgID)
	return insertUnder(ctx, s.q(ctx), op, "organizations", r.OrgID, `INSERT INTO org_roles (org_id, name, description, created_at)
		SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1)
		ON CONFLICT DO NOTHING`, r.OrgID, r.Name, r.Description, ts(r.CreatedAt))
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
