package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const orgConnectorColumns = `org_id, connector_id, default_role, forbid_password, group_roles, created_at, updated_at`

func groupRolesJSON(m map[string]string) (string, error) {
	if m == nil {
		m = map[string]string{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// PutOrgConnector returns storage.ErrNotFound if the organization does not
// exist.
func (s *Store) PutOrgConnector(ctx context.Context, c storage.OrgConnector) error {
	op := fmt.Sprintf("postgres: put connector of %q", c.OrgID)
	roles, err := groupRolesJSON(c.GroupRoles)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO org_connectors (`+orgConnectorColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1)
		ON CONFLICT (org_id) DO UPDATE SET connector_id = excluded.connector_id, default_role = excluded.default_role,
		forbid_password = excluded.forbid_password, group_roles = excluded.group_roles, updated_at = excluded.updated_at`,
		c.OrgID, c.ConnectorID, c.DefaultRole, c.ForbidPassword, roles, ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		if pgCode(err) == codeForeignKeyViolation {
			return fmt.Errorf("%s: %w (%w)", op, storage.ErrNotFound, err)
		}
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op + ": organization")
	}
	return nil
}

// GetOrgConnector returns storage.ErrNotFound.
func (s *Store) GetOrgConnector(ctx context.Context, orgID string) (storage.OrgConnector, error) {
	var c storage.OrgConnector
	var roles string
	err := s.q(ctx).QueryRow(ctx, `SELECT `+orgConnectorColumns+` FROM org_connectors WHERE org_id = $1`, orgID).
		Scan(&c.OrgID, &c.ConnectorID, &c.DefaultRole, &c.ForbidPassword, &roles, scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt))
	if err != nil {
		return storage.OrgConnector{}, rowErr("postgres: get org connector", err)
	}
	if err := json.Unmarshal([]byte(roles), &c.GroupRoles); err != nil {
		return storage.OrgConnector{}, fmt.Errorf("postgres: org connector %q group roles: %w", orgID, err)
	}
	return c, nil
}

// DeleteOrgConnector returns storage.ErrNotFound.
func (s *Store) DeleteOrgConnector(ctx context.Context, orgID string) error {
	return s.execOne(ctx, fmt.Sprintf("postgres: delete connector of %q", orgID), `DELETE FROM org_connectors WHERE org_id = $1`, orgID)
}

const orgDomainColumns = `domain, org_id, token, verified_at, created_at`

func scanOrgDomain(row pgx.Row) (storage.OrgDomain, error) {
	var d storage.OrgDomain
	err := row.Scan(&d.Domain, &d.OrgID, &d.Token, scanTime(&d.VerifiedAt), scanTime(&d.CreatedAt))
	return d, err
}

// CreateOrgDomain returns storage.ErrAlreadyExists on a claimed domain,
// storage.ErrNotFound for an unknown organization.
func (s *Store) CreateOrgDomain(ctx context.Context, d storage.OrgDomain) error {
	op := fmt.Sprintf("postgres: claim domain %q", d.Domain)
	return insertUnder(ctx, s.q(ctx), op, "organizations", d.OrgID, `INSERT INTO org_domains (`+orgDomainColumns+`)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $2)
		ON CONFLICT DO NOTHING`, d.Domain, d.OrgID, d.Token, ts(d.VerifiedAt), ts(d.CreatedAt))
}

// GetOrgDomain returns storage.ErrNotFound.
func (s *Store) GetOrgDomain(ctx context.Context, domain string) (storage.OrgDomain, error) {
	d, err := scanOrgDomain(s.q(ctx).QueryRow(ctx, `SELECT `+orgDomainColumns+` FROM org_domains WHERE domain = $1`, domain))
	if err != nil {
		return storage.OrgDomain{}, rowErr("postgres: get domain", err)
	}
	return d, nil
}

// ListOrgDomains returns the organization's domains ordered by name.
func (s *Store) ListOrgDomains(ctx context.Context, orgID string) ([]storage.OrgDomain, error) {
	op := fmt.Sprintf("postgres: list domains of %q", orgID)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+orgDomainColumns+` FROM org_domains WHERE org_id = $1 ORDER BY domain`, orgID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanOrgDomain)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// VerifyOrgDomain returns storage.ErrNotFound.
func (s *Store) VerifyOrgDomain(ctx context.Context, orgID, domain string, at time.Time) error {
	return s.execOne(ctx, fmt.Sprintf("postgres: verify domain %q of %q", domain, orgID),
		`UPDATE org_domains SET verified_at = $1 WHERE domain = $2 AND org_id = $3`, ts(at), domain, orgID)
}

// DeleteOrgDomain returns storage.ErrNotFound.
func (s *Store) DeleteOrgDomain(ctx context.Context, orgID, domain string) error {
	return s.execOne(ctx, fmt.Sprintf("postgres: delete domain %q of %q", domain, orgID),
		`DELETE FROM org_domains WHERE domain = $1 AND org_id = $2`, domain, orgID)
}

// execOne runs a statement that must touch one row; none is ErrNotFound.
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	tag, err := s.q(ctx).Exec(ctx, query, args...)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}
