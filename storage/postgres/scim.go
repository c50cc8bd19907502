package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

// PutScimToken replaces the organization's token; storage.ErrNotFound for
// an unknown organization.
func (s *Store) PutScimToken(ctx context.Context, t storage.ScimToken) error {
	op := fmt.Sprintf("postgres: put SCIM token of %q", t.OrgID)
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO scim_tokens (org_id, token_hash, created_by, created_at)
		SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1)
		ON CONFLICT (org_id) DO UPDATE SET token_hash = excluded.token_hash, created_by = excluded.created_by,
		created_at = excluded.created_at`, t.OrgID, t.Hash, t.CreatedBy, ts(t.CreatedAt))
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

// GetScimToken returns storage.ErrNotFound.
func (s *Store) GetScimToken(ctx context.Context, orgID string) (storage.ScimToken, error) {
	var t storage.ScimToken
	err := s.q(ctx).QueryRow(ctx, `SELECT org_id, token_hash, created_by, created_at FROM scim_tokens WHERE org_id = $1`, orgID).
		Scan(&t.OrgID, &t.Hash, &t.CreatedBy, scanTime(&t.CreatedAt))
	if err != nil {
		return storage.ScimToken{}, rowErr(fmt.Sprintf("postgres: get SCIM token of %q", orgID), err)
	}
	return t, nil
}

// DeleteScimToken returns storage.ErrNotFound.
func (s *Store) DeleteScimToken(ctx context.Context, orgID string) error {
	return s.execOne(ctx, fmt.Sprintf("postgres: delete SCIM token of %q", orgID), `DELETE FROM scim_tokens WHERE org_id = $1`, orgID)
}

const scimUserColumns = `org_id, user_id, external_id, given_name, family_name, emails, provisioned, active, role, created_at, updated_at`

func scanScimUser(r pgx.Row) (storage.ScimUser, error) {
	var u storage.ScimUser
	err := r.Scan(&u.OrgID, &u.UserID, &u.ExternalID, &u.GivenName, &u.FamilyName, emailsCol{&u.Emails}, &u.Provisioned, &u.Active, &u.Role,
		scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt))
	return u, err
}

// CreateScimUser returns storage.ErrNotFound for an unknown organization
// or user, storage.ErrAlreadyExists for a pair with a record.
func (s *Store) CreateScimUser(ctx context.Context, u storage.ScimUser) error {
	op := fmt.Sprintf("postgres: create SCIM user %q in %q", u.UserID, u.OrgID)
	q := s.q(ctx)
	tag, err := q.Exec(ctx, `INSERT INTO scim_users (`+scimUserColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
		WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		u.OrgID, u.UserID, u.ExternalID, u.GivenName, u.FamilyName, emailsJSON(u.Emails), u.Provisioned, u.Active, u.Role, ts(u.CreatedAt), ts(u.UpdatedAt))
	if err != nil {
		if pgCode(err) == codeForeignKeyViolation {
			return fmt.Errorf("%s: %w (%w)", op, storage.ErrNotFound, err)
		}
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM scim_users WHERE org_id = $1 AND user_id = $2)`, u.OrgID, u.UserID).Scan(&exists)
	if err != nil {
		return dbErr(op, err)
	}
	if exists {
		return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
	}
	return notFound(op + ": organization or user")
}

// GetScimUser returns storage.ErrNotFound.
func (s *Store) GetScimUser(ctx context.Context, orgID, userID string) (storage.ScimUser, error) {
	u, err := scanScimUser(s.q(ctx).QueryRow(ctx, `SELECT `+scimUserColumns+` FROM scim_users WHERE org_id = $1 AND user_id = $2`, orgID, userID))
	if err != nil {
		return storage.ScimUser{}, rowErr(fmt.Sprintf("postgres: get SCIM user %q in %q", userID, orgID), err)
	}
	return u, nil
}

func (s *Store) listScimUsers(ctx context.Context, op, query string, arg string) ([]storage.ScimUser, error) {
	rows, err := s.q(ctx).Query(ctx, query, arg)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanScimUser)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// ListScimUsers returns the organization's records ordered by creation.
func (s *Store) ListScimUsers(ctx context.Context, orgID string) ([]storage.ScimUser, error) {
	return s.listScimUsers(ctx, fmt.Sprintf("postgres: list SCIM users of %q", orgID),
		`SELECT `+scimUserColumns+` FROM scim_users WHERE org_id = $1 ORDER BY created_at, user_id`, orgID)
}

// ListScimUsersByUser returns the user's records ordered by organization id.
func (s *Store) ListScimUsersByUser(ctx context.Context, userID string) ([]storage.ScimUser, error) {
	return s.listScimUsers(ctx, fmt.Sprintf("postgres: list SCIM records of %q", userID),
		`SELECT `+scimUserColumns+` FROM scim_users WHERE user_id = $1 ORDER BY org_id`, userID)
}

// UpdateScimUser applies fn in one transaction; storage.ErrNotFound.
func (s *Store) UpdateScimUser(ctx context.Context, orgID, userID string, fn func(storage.ScimUser) (storage.ScimUser, error)) error {
	op := fmt.Sprintf("postgres: update SCIM user %q in %q", userID, orgID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanScimUser(q.QueryRow(ctx, `SELECT `+scimUserColumns+` FROM scim_users WHERE org_id = $1 AND user_id = $2 FOR UPDATE`, orgID, userID))
		if err != nil {
			return rowErr(op, err)
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		_, err = q.Exec(ctx, `UPDATE scim_users SET external_id = $3, given_name = $4, family_name = $5, emails = $6, provisioned = $7, active = $8,
			role = $9, created_at = $10, updated_at = $11 WHERE org_id = $1 AND user_id = $2`,
			orgID, userID, u.ExternalID, u.GivenName, u.FamilyName, emailsJSON(u.Emails), u.Provisioned, u.Active, u.Role, ts(u.CreatedAt), ts(u.UpdatedAt))
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteScimUser returns storage.ErrNotFound.
func (s *Store) DeleteScimUser(ctx context.Context, orgID, userID string) error {
	return s.execOne(ctx, fmt.Sprintf("postgres: delete SCIM user %q in %q", userID, orgID),
		`DELETE FROM scim_users WHERE org_id = $1 AND user_id = $2`, orgID, userID)
}

// emailsJSON is the emails column: a JSON list, never null.
func emailsJSON(e []storage.ScimEmail) string {
	if e == nil {
		e = []storage.ScimEmail{}
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// emailsCol scans the emails column; an empty list is nil.
type emailsCol struct{ p *[]storage.ScimEmail }

func (c emailsCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("emails: unexpected %T", src)
	}
	var out []storage.ScimEmail
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("emails: %w", err)
	}
	if len(out) == 0 {
		out = nil
	}
	*c.p = out
	return nil
}
