package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const identityColumns = `id, user_id, connector_id, issuer, subject, email, created_at`

func scanIdentity(row pgx.Row) (storage.Identity, error) {
	var x storage.Identity
	err := row.Scan(&x.ID, &x.UserID, &x.ConnectorID, &x.Issuer, &x.Subject, &x.Email, scanTime(&x.CreatedAt))
	return x, err
}

// CreateIdentity returns storage.ErrAlreadyExists on a taken id or upstream
// account, storage.ErrNotFound if the user does not exist.
func (s *Store) CreateIdentity(ctx context.Context, x storage.Identity) error {
	op := fmt.Sprintf("postgres: create identity for %q", x.UserID)
	return insertUnder(ctx, s.q(ctx), op, "users", x.UserID, `INSERT INTO identities (`+identityColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING`, x.ID, x.UserID, x.ConnectorID, x.Issuer, x.Subject, x.Email, ts(x.CreatedAt))
}

// GetIdentity returns storage.ErrNotFound.
func (s *Store) GetIdentity(ctx context.Context, issuer, subject string) (storage.Identity, error) {
	x, err := scanIdentity(s.q(ctx).QueryRow(ctx,
		`SELECT `+identityColumns+` FROM identities WHERE issuer = $1 AND subject = $2`, issuer, subject))
	if err != nil {
		return storage.Identity{}, rowErr("postgres: get identity", err)
	}
	return x, nil
}

// ListIdentitiesByUser returns the user's identities, oldest first.
func (s *Store) ListIdentitiesByUser(ctx context.Context, userID string) ([]storage.Identity, error) {
	op := fmt.Sprintf("postgres: list identities of %q", userID)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+identityColumns+` FROM identities
		WHERE user_id = $1 ORDER BY created_at NULLS LAST, id`, userID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanIdentity)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// DeleteIdentity returns storage.ErrNotFound, also for another user's id.
func (s *Store) DeleteIdentity(ctx context.Context, userID, id string) error {
	op := fmt.Sprintf("postgres: delete identity %q of %q", id, userID)
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM identities WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}
