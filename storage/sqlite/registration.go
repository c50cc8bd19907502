package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// CreateInitialAccessToken returns storage.ErrAlreadyExists on a taken hash.
func (s *Store) CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error {
	_, err := s.exec(ctx, `INSERT INTO initial_access_tokens (token_hash, created_at, expires_at) VALUES (?, ?, ?)`,
		secretArg(t.TokenHash), ts(t.CreatedAt), ts(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create initial access token: %w", err)
	}
	return nil
}

// GetInitialAccessToken returns storage.ErrNotFound, also when expired
// before now.
func (s *Store) GetInitialAccessToken(ctx context.Context, tokenHash []byte, now time.Time) (storage.InitialAccessToken, error) {
	var t storage.InitialAccessToken
	err := s.q(ctx).QueryRowContext(ctx, `SELECT token_hash, created_at, expires_at FROM initial_access_tokens
		WHERE token_hash = ? AND `+unexpired, secretArg(tokenHash), now.UnixMicro()).
		Scan(blobCol{&t.TokenHash}, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt})
	if err != nil {
		return storage.InitialAccessToken{}, fmt.Errorf("sqlite: get initial access token: %w", noRows(err, "initial access token"))
	}
	return t, nil
}

// ListInitialAccessTokens returns every token, oldest first.
func (s *Store) ListInitialAccessTokens(ctx context.Context) ([]storage.InitialAccessToken, error) {
	out, err := queryList(ctx, s, func(r rowScanner) (storage.InitialAccessToken, error) {
		var t storage.InitialAccessToken
		err := r.Scan(blobCol{&t.TokenHash}, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt})
		return t, err
	}, `SELECT token_hash, created_at, expires_at FROM initial_access_tokens ORDER BY created_at, token_hash`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list initial access tokens: %w", err)
	}
	return out, nil
}

// DeleteInitialAccessToken returns storage.ErrNotFound for an unknown hash.
func (s *Store) DeleteInitialAccessToken(ctx context.Context, tokenHash []byte) error {
	err := s.execOne(ctx, notFound("initial access token"), `DELETE FROM initial_access_tokens WHERE token_hash = ?`, secretArg(tokenHash))
	if err != nil {
		return fmt.Errorf("sqlite: delete initial access token: %w", err)
	}
	return nil
}

// SetRegistrationToken returns storage.ErrNotFound for an unknown client.
func (s *Store) SetRegistrationToken(ctx context.Context, clientID string, tokenHash []byte) error {
	err := s.execOne(ctx, notFound("client %q", clientID),
		`INSERT INTO client_registrations (client_id, token_hash)
		SELECT ?, ? WHERE EXISTS (SELECT 1 FROM clients WHERE id = ?)
		ON CONFLICT (client_id) DO UPDATE SET token_hash = excluded.token_hash`,
		clientID, secretArg(tokenHash), clientID)
	if err != nil {
		return fmt.Errorf("sqlite: set registration token: %w", err)
	}
	return nil
}

// GetRegistrationToken returns storage.ErrNotFound when the client has none.
func (s *Store) GetRegistrationToken(ctx context.Context, clientID string) ([]byte, error) {
	var h []byte
	err := s.q(ctx).QueryRowContext(ctx, `SELECT token_hash FROM client_registrations WHERE client_id = ?`, clientID).
		Scan(blobCol{&h})
	if err != nil {
		return nil, fmt.Errorf("sqlite: get registration token: %w", noRows(err, "registration of client %q", clientID))
	}
	return h, nil
}
