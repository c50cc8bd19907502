package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

// CreateInitialAccessToken returns storage.ErrAlreadyExists on a taken hash.
func (s *Store) CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO initial_access_tokens (token_hash, created_at, expires_at)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, bytesArg(t.TokenHash), ts(t.CreatedAt), ts(t.ExpiresAt))
	if err != nil {
		return dbErr("postgres: create initial access token", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create initial access token: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// GetInitialAccessToken returns storage.ErrNotFound, also when expired
// before now.
func (s *Store) GetInitialAccessToken(ctx context.Context, tokenHash []byte, now time.Time) (storage.InitialAccessToken, error) {
	var t storage.InitialAccessToken
	err := s.q(ctx).QueryRow(ctx, `SELECT token_hash, created_at, expires_at FROM initial_access_tokens
		WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at >= $2)`, bytesArg(tokenHash), ts(now)).
		Scan(scanBytes(&t.TokenHash), scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt))
	if err != nil {
		return storage.InitialAccessToken{}, rowErr("postgres: get initial access token", err)
	}
	return t, nil
}

// ListInitialAccessTokens returns every token, oldest first.
func (s *Store) ListInitialAccessTokens(ctx context.Context) ([]storage.InitialAccessToken, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT token_hash, created_at, expires_at FROM initial_access_tokens
		ORDER BY created_at NULLS FIRST, token_hash`)
	if err != nil {
		return nil, dbErr("postgres: list initial access tokens", err)
	}
	out, err := collect(rows, func(r pgx.Row) (storage.InitialAccessToken, error) {
		var t storage.InitialAccessToken
		err := r.Scan(scanBytes(&t.TokenHash), scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt))
		return t, err
	})
	if err != nil {
		return nil, dbErr("postgres: list initial access tokens", err)
	}
	return out, nil
}

// DeleteInitialAccessToken returns storage.ErrNotFound for an unknown hash.
func (s *Store) DeleteInitialAccessToken(ctx context.Context, tokenHash []byte) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM initial_access_tokens WHERE token_hash = $1`, bytesArg(tokenHash))
	if err != nil {
		return dbErr("postgres: delete initial access token", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("postgres: delete initial access token")
	}
	return nil
}

// SetRegistrationToken returns storage.ErrNotFound for an unknown client.
// The existence check is part of the statement, so a missing client is zero
// rows rather than a foreign-key error that would abort the caller's
// transaction.
func (s *Store) SetRegistrationToken(ctx context.Context, clientID string, tokenHash []byte) error {
	op := fmt.Sprintf("postgres: set registration token of %q", clientID)
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO client_registrations (client_id, token_hash)
		SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1)
		ON CONFLICT (client_id) DO UPDATE SET token_hash = EXCLUDED.token_hash`, clientID, bytesArg(tokenHash))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// GetRegistrationToken returns storage.ErrNotFound when the client has none.
func (s *Store) GetRegistrationToken(ctx context.Context, clientID string) ([]byte, error) {
	var h []byte
	err := s.q(ctx).QueryRow(ctx, `SELECT token_hash FROM client_registrations WHERE client_id = $1`, clientID).
		Scan(scanBytes(&h))
	if err != nil {
		return nil, rowErr(fmt.Sprintf("postgres: get registration token of %q", clientID), err)
	}
	return h, nil
}
