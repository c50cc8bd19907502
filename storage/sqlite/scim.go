package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

// PutScimToken replaces the organization's token; storage.ErrNotFound for
// an unknown organization.
func (s *Store) PutScimToken(ctx context.Context, t storage.ScimToken) error {
	_, err := s.exec(ctx, `INSERT INTO scim_tokens (org_id, token_hash, created_by, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET token_hash = excluded.token_hash, created_by = excluded.created_by,
		created_at = excluded.created_at`, t.OrgID, t.Hash, t.CreatedBy, ts(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put SCIM token of %q: %w", t.OrgID, err)
	}
	return nil
}

// GetScimToken returns storage.ErrNotFound.
func (s *Store) GetScimToken(ctx context.Context, orgID string) (storage.ScimToken, error) {
	var t storage.ScimToken
	err := s.q(ctx).QueryRowContext(ctx, `SELECT org_id, token_hash, created_by, created_at FROM scim_tokens WHERE org_id = ?`, orgID).
		Scan(&t.OrgID, &t.Hash, &t.CreatedBy, timeCol{&t.CreatedAt})
	if err != nil {
		return storage.ScimToken{}, fmt.Errorf("sqlite: get SCIM token: %w", noRows(err, "SCIM token of %q", orgID))
	}
	return t, nil
}

// DeleteScimToken returns storage.ErrNotFound.
func (s *Store) DeleteScimToken(ctx context.Context, orgID string) error {
	if err := s.execOne(ctx, notFound("SCIM token of %q", orgID), `DELETE FROM scim_tokens WHERE org_id = ?`, orgID); err != nil {
		return fmt.Errorf("sqlite: delete SCIM token: %w", err)
	}
	return nil
}

const scimUserCols = `org_id, user_id, external_id, given_name, family_name, emails, provisioned, active, role, created_at, updated_at`

func scanScimUser(r rowScanner) (storage.ScimUser, error) {
	var u storage.ScimUser
	err := r.Scan(&u.OrgID, &u.UserID, &u.ExternalID, &u.GivenName, &u.FamilyName, emailsCol{&u.Emails}, &u.Provisioned, &u.Active, &u.Role,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, err
}

// CreateScimUser returns storage.ErrNotFound for an unknown organization
// or user, storage.ErrAlreadyExists for a pair with a record.
func (s *Store) CreateScimUser(ctx context.Context, u storage.ScimUser) error {
	_, err := s.exec(ctx, `INSERT INTO scim_users (`+scimUserCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.OrgID, u.UserID, u.ExternalID, u.GivenName, u.FamilyName, emailsJSON(u.Emails), u.Provisioned, u.Active, u.Role, ts(u.CreatedAt), ts(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create SCIM user %q in %q: %w", u.UserID, u.OrgID, err)
	}
	return nil
}

// GetScimUser returns storage.ErrNotFound.
func (s *Store) GetScimUser(ctx context.Context, orgID, userID string) (storage.ScimUser, error) {
	u, err := scanScimUser(s.q(ctx).QueryRowContext(ctx, `SELECT `+scimUserCols+` FROM scim_users WHERE org_id = ? AND user_id = ?`, orgID, userID))
	if err != nil {
		return storage.ScimUser{}, fmt.Errorf("sqlite: get SCIM user: %w", noRows(err, "SCIM user %q in %q", userID, orgID))
	}
	return u, nil
}

// ListScimUsers returns the organization's records ordered by creation.
func (s *Store) ListScimUsers(ctx context.Context, orgID string) ([]storage.ScimUser, error) {
	out, err := queryList(ctx, s, scanScimUser, `SELECT `+scimUserCols+` FROM scim_users WHERE org_id = ? ORDER BY created_at, user_id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list SCIM users of %q: %w", orgID, err)
	}
	return out, nil
}

// ListScimUsersByUser returns the user's records ordered by organization id.
func (s *Store) ListScimUsersByUser(ctx context.Context, userID string) ([]storage.ScimUser, error) {
	out, err := queryList(ctx, s, scanScimUser, `SELECT `+scimUserCols+` FROM scim_users WHERE user_id = ? ORDER BY org_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list SCIM records of %q: %w", userID, err)
	}
	return out, nil
}

// UpdateScimUser applies fn in one transaction; storage.ErrNotFound.
func (s *Store) UpdateScimUser(ctx context.Context, orgID, userID string, fn func(storage.ScimUser) (storage.ScimUser, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.GetScimUser(ctx, orgID, userID)
		if err != nil {
			return err
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE scim_users SET external_id = ?, given_name = ?, family_name = ?, emails = ?, provisioned = ?, active = ?,
			role = ?, created_at = ?, updated_at = ? WHERE org_id = ? AND user_id = ?`,
			u.ExternalID, u.GivenName, u.FamilyName, emailsJSON(u.Emails), u.Provisioned, u.Active, u.Role, ts(u.CreatedAt), ts(u.UpdatedAt), orgID, userID)
		if err != nil {
			return fmt.Errorf("sqlite: update SCIM user %q in %q: %w", userID, orgID, err)
		}
		return nil
	})
}

// DeleteScimUser returns storage.ErrNotFound.
func (s *Store) DeleteScimUser(ctx context.Context, orgID, userID string) error {
	err := s.execOne(ctx, notFound("SCIM user %q in %q", userID, orgID), `DELETE FROM scim_users WHERE org_id = ? AND user_id = ?`, orgID, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete SCIM user: %w", err)
	}
	return nil
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
