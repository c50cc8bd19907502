package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const patColumns = `id, user_id, name, token_hash, scopes, created_at, expires_at, last_used_at, amr`

func scanPAT(row pgx.Row) (storage.PAT, error) {
	var p storage.PAT
	err := row.Scan(&p.ID, &p.UserID, &p.Name, scanBytes(&p.TokenHash), scanList(&p.Scopes),
		scanTime(&p.CreatedAt), scanTime(&p.ExpiresAt), scanTime(&p.LastUsedAt), scanList(&p.AMR))
	return p, err
}

// CreatePAT returns storage.ErrAlreadyExists on a taken id or token hash.
func (s *Store) CreatePAT(ctx context.Context, p storage.PAT) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO personal_access_tokens (`+patColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		p.ID, p.UserID, p.Name, p.TokenHash, list(p.Scopes), ts(p.CreatedAt), ts(p.ExpiresAt), ts(p.LastUsedAt), list(p.AMR))
	if err != nil {
		return dbErr("postgres: create personal access token", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create personal access token %q: %w", p.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// GetPATByHash returns storage.ErrNotFound, also when expired before now. A
// NULL expiry (zero ExpiresAt) never expires.
func (s *Store) GetPATByHash(ctx context.Context, tokenHash []byte, now time.Time) (storage.PAT, error) {
	p, err := scanPAT(s.q(ctx).QueryRow(ctx, `SELECT `+patColumns+` FROM personal_access_tokens
		WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at >= $2)`, tokenHash, ts(now)))
	if err != nil {
		return storage.PAT{}, rowErr("postgres: get personal access token", err)
	}
	return p, nil
}

// ListPATsByUser returns the user's tokens, newest first.
func (s *Store) ListPATsByUser(ctx context.Context, userID string) ([]storage.PAT, error) {
	op := fmt.Sprintf("postgres: list personal access tokens of %q", userID)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+patColumns+` FROM personal_access_tokens
		WHERE user_id = $1 ORDER BY created_at DESC NULLS LAST, id DESC`, userID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanPAT)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// TouchPAT records a use. storage.ErrNotFound.
func (s *Store) TouchPAT(ctx context.Context, id string, now time.Time) error {
	op := fmt.Sprintf("postgres: touch personal access token %q", id)
	tag, err := s.q(ctx).Exec(ctx, `UPDATE personal_access_tokens SET last_used_at = $2 WHERE id = $1`, id, ts(now))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// DeletePAT removes the user's token. storage.ErrNotFound, also when it
// belongs to someone else.
func (s *Store) DeletePAT(ctx context.Context, userID, id string) error {
	op := fmt.Sprintf("postgres: delete personal access token %q of %q", id, userID)
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM personal_access_tokens WHERE user_id = $1 AND id = $2`, userID, id)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}
