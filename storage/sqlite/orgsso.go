package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const orgConnectorCols = `org_id, connector_id, default_role, forbid_password, group_roles, created_at, updated_at`

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
	roles, err := groupRolesJSON(c.GroupRoles)
	if err != nil {
		return fmt.Errorf("sqlite: put org connector: %w", err)
	}
	_, err = s.exec(ctx, `INSERT INTO org_connectors (`+orgConnectorCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET connector_id = excluded.connector_id, default_role = excluded.default_role,
		forbid_password = excluded.forbid_password, group_roles = excluded.group_roles, updated_at = excluded.updated_at`,
		c.OrgID, c.ConnectorID, c.DefaultRole, c.ForbidPassword, roles, ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put connector of organization %q: %w", c.OrgID, err)
	}
	return nil
}

// GetOrgConnector returns storage.ErrNotFound.
func (s *Store) GetOrgConnector(ctx context.Context, orgID string) (storage.OrgConnector, error) {
	var c storage.OrgConnector
	var roles string
	err := s.q(ctx).QueryRowContext(ctx, `SELECT `+orgConnectorCols+` FROM org_connectors WHERE org_id = ?`, orgID).
		Scan(&c.OrgID, &c.ConnectorID, &c.DefaultRole, &c.ForbidPassword, &roles, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return storage.OrgConnector{}, fmt.Errorf("sqlite: get org connector: %w", noRows(err, "connector of organization %q", orgID))
	}
	if err := json.Unmarshal([]byte(roles), &c.GroupRoles); err != nil {
		return storage.OrgConnector{}, fmt.Errorf("sqlite: org connector %q group roles: %w", orgID, err)
	}
	return c, nil
}

// DeleteOrgConnector returns storage.ErrNotFound.
func (s *Store) DeleteOrgConnector(ctx context.Context, orgID string) error {
	err := s.execOne(ctx, notFound("connector of organization %q", orgID), `DELETE FROM org_connectors WHERE org_id = ?`, orgID)
	if err != nil {
		return fmt.Errorf("sqlite: delete org connector: %w", err)
	}
	return nil
}

const orgDomainCols = `domain, org_id, token, verified_at, created_at`

func scanOrgDomain(r rowScanner) (storage.OrgDomain, error) {
	var d storage.OrgDomain
	err := r.Scan(&d.Domain, &d.OrgID, &d.Token, timeCol{&d.VerifiedAt}, timeCol{&d.CreatedAt})
	return d, err
}

// CreateOrgDomain returns storage.ErrAlreadyExists on a claimed domain,
// storage.ErrNotFound for an unknown organization.
func (s *Store) CreateOrgDomain(ctx context.Context, d storage.OrgDomain) error {
	_, err := s.exec(ctx, `INSERT INTO org_domains (`+orgDomainCols+`) VALUES (?, ?, ?, ?, ?)`,
		d.Domain, d.OrgID, d.Token, ts(d.VerifiedAt), ts(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: claim domain %q: %w", d.Domain, err)
	}
	return nil
}

// GetOrgDomain returns storage.ErrNotFound.
func (s *Store) GetOrgDomain(ctx context.Context, domain string) (storage.OrgDomain, error) {
	d, err := scanOrgDomain(s.q(ctx).QueryRowContext(ctx, `SELECT `+orgDomainCols+` FROM org_domains WHERE domain = ?`, domain))
	if err != nil {
		return storage.OrgDomain{}, fmt.Errorf("sqlite: get domain: %w", noRows(err, "domain %q", domain))
	}
	return d, nil
}

// ListOrgDomains returns the organization's domains ordered by name.
func (s *Store) ListOrgDomains(ctx context.Context, orgID string) ([]storage.OrgDomain, error) {
	out, err := queryList(ctx, s, scanOrgDomain, `SELECT `+orgDomainCols+` FROM org_domains WHERE org_id = ? ORDER BY domain`, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list domains of organization %q: %w", orgID, err)
	}
	return out, nil
}

// VerifyOrgDomain returns storage.ErrNotFound.
func (s *Store) VerifyOrgDomain(ctx context.Context, orgID, domain string, at time.Time) error {
	err := s.execOne(ctx, notFound("domain %q of organization %q", domain, orgID),
		`UPDATE org_domains SET verified_at = ? WHERE domain = ? AND org_id = ?`, ts(at), domain, orgID)
	if err != nil {
		return fmt.Errorf("sqlite: verify domain: %w", err)
	}
	return nil
}

// DeleteOrgDomain returns storage.ErrNotFound.
func (s *Store) DeleteOrgDomain(ctx context.Context, orgID, domain string) error {
	err := s.execOne(ctx, notFound("domain %q of organization %q", domain, orgID),
		`DELETE FROM org_domains WHERE domain = ? AND org_id = ?`, domain, orgID)
	if err != nil {
		return fmt.Errorf("sqlite: delete domain: %w", err)
	}
	return nil
}
