package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const authRequestColumns = `id, client_id, form, session_id, login_at, org_id, consent_given, denied, acr, created_at, expires_at`

func authRequestArgs(r storage.AuthRequest) []any {
	return []any{r.ID, r.ClientID, r.Form, r.SessionID, ts(r.LoginAt), r.OrgID, r.ConsentGiven, r.Denied, r.ACR,
		ts(r.CreatedAt), ts(r.ExpiresAt)}
}

func scanAuthRequest(row pgx.Row) (storage.AuthRequest, error) {
	var r storage.AuthRequest
	err := row.Scan(&r.ID, &r.ClientID, &r.Form, &r.SessionID, scanTime(&r.LoginAt), &r.OrgID, &r.ConsentGiven, &r.Denied, &r.ACR,
		scanTime(&r.CreatedAt), scanTime(&r.ExpiresAt))
	return r, err
}

// CreateAuthRequest returns storage.ErrAlreadyExists.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO auth_requests (`+authRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`, authRequestArgs(r)...)
	if err != nil {
		return dbErr("postgres: create auth request", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create auth request %q: %w", r.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// GetAuthRequest returns storage.ErrNotFound, also when expired before now.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	r, err := scanAuthRequest(s.q(ctx).QueryRow(ctx, `SELECT `+authRequestColumns+` FROM auth_requests
		WHERE id = $1 AND expires_at >= $2`, id, ts(now)))
	if err != nil {
		return storage.AuthRequest{}, rowErr(fmt.Sprintf("postgres: get auth request %q", id), err)
	}
	return r, nil
}

// UpdateAuthRequest applies fn under a row lock. storage.ErrNotFound.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error {
	op := fmt.Sprintf("postgres: update auth request %q", id)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanAuthRequest(q.QueryRow(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return rowErr(op, err)
		}
		r, err := fn(old)
		if err != nil {
			return err
		}
		r.ID = id
		_, err = q.Exec(ctx, `UPDATE auth_requests SET (`+authRequestColumns+`) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			WHERE id = $1`, authRequestArgs(r)...)
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteAuthRequest returns storage.ErrNotFound.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM auth_requests WHERE id = $1`, id)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: delete auth request %q", id), err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(fmt.Sprintf("postgres: delete auth request %q", id))
	}
	return nil
}

// DeleteExpiredAuthRequests removes at most limit requests expired before
// now.
func (s *Store) DeleteExpiredAuthRequests(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM auth_requests WHERE id IN (
		SELECT id FROM auth_requests WHERE expires_at IS NULL OR expires_at < $1 ORDER BY expires_at NULLS FIRST LIMIT $2)`,
		ts(now), limit)
	if err != nil {
		return 0, dbErr("postgres: delete expired auth requests", err)
	}
	return int(tag.RowsAffected()), nil
}
