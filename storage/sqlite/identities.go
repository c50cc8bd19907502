package sqlite

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const identityCols = `id, user_id, connector_id, issuer, subject, email, created_at`

func scanIdentity(r rowScanner) (storage.Identity, error) {
	var x storage.Identity
	err := r.Scan(&x.ID, &x.UserID, &x.ConnectorID, &x.Issuer, &x.Subject, &x.Email, timeCol{&x.CreatedAt})
	return x, err
}

// CreateIdentity returns storage.ErrAlreadyExists on a taken id or upstream
// account, storage.ErrNotFound if the user does not exist.
func (s *Store) CreateIdentity(ctx context.Context, x storage.Identity) error {
	_, err := s.exec(ctx, `INSERT INTO identities (`+identityCols+`) VALUES (`+placeholders(7)+`)`,
		x.ID, x.UserID, x.ConnectorID, x.Issuer, x.Subject, x.Email, ts(x.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create identity for user %q: %w", x.UserID, err)
	}
	return nil
}

// GetIdentity returns storage.ErrNotFound.
func (s *Store) GetIdentity(ctx context.Context, issuer, subject string) (storage.Identity, error) {
	x, err := scanIdentity(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+identityCols+` FROM identities WHERE issuer = ? AND subject = ?`, issuer, subject))
	if err != nil {
		return storage.Identity{}, fmt.Errorf("sqlite: get identity: %w", noRows(err, "identity at %q", issuer))
	}
	return x, nil
}

// ListIdentitiesByUser returns the user's identities, oldest first.
func (s *Store) ListIdentitiesByUser(ctx context.Context, userID string) ([]storage.Identity, error) {
	out, err := queryList(ctx, s, scanIdentity,
		`SELECT `+identityCols+` FROM identities WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list identities of user %q: %w", userID, err)
	}
	return out, nil
}

// DeleteIdentity returns storage.ErrNotFound, also for another user's id.
func (s *Store) DeleteIdentity(ctx context.Context, userID, id string) error {
	err := s.execOne(ctx, notFound("identity %q of user %q", id, userID),
		`DELETE FROM identities WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete identity: %w", err)
	}
	return nil
}
