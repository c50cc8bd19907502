package sqlite

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const consentCols = `user_id, client_id, scopes, created_at, updated_at`

func scanConsent(r rowScanner) (storage.Consent, error) {
	var c storage.Consent
	err := r.Scan(&c.UserID, &c.ClientID, listCol{&c.Scopes}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// PutConsent creates or replaces the consent for (UserID, ClientID).
func (s *Store) PutConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.exec(ctx, `INSERT INTO consents (`+consentCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, created_at = excluded.created_at, updated_at = excluded.updated_at`,
		c.UserID, c.ClientID, list(c.Scopes), ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put consent of user %q for client %q: %w", c.UserID, c.ClientID, err)
	}
	return nil
}

// GetConsent returns storage.ErrNotFound.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c, err := scanConsent(s.q(ctx).QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID))
	if err != nil {
		return storage.Consent{}, fmt.Errorf("sqlite: get consent: %w", noRows(err, "consent of user %q for client %q", userID, clientID))
	}
	return c, nil
}

// ListConsentsByUser returns the user's consents ordered by client id.
func (s *Store) ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error) {
	out, err := queryList(ctx, s, scanConsent, `SELECT `+consentCols+` FROM consents WHERE user_id = ? ORDER BY client_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list consents of user %q: %w", userID, err)
	}
	return out, nil
}

// DeleteConsent returns storage.ErrNotFound.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	err := s.execOne(ctx, notFound("consent of user %q for client %q", userID, clientID),
		`DELETE FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID)
	if err != nil {
		return fmt.Errorf("sqlite: delete consent: %w", err)
	}
	return nil
}
