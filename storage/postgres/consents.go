package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const consentColumns = `user_id, client_id, scopes, created_at, updated_at`

func scanConsent(row pgx.Row) (storage.Consent, error) {
	var c storage.Consent
	err := row.Scan(&c.UserID, &c.ClientID, scanList(&c.Scopes), scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt))
	return c, err
}

// PutConsent creates or replaces, as one upsert, the whole consent for
// (UserID, ClientID).
func (s *Store) PutConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO consents (`+consentColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, client_id) DO UPDATE SET
			scopes = excluded.scopes, created_at = excluded.created_at, updated_at = excluded.updated_at`,
		c.UserID, c.ClientID, list(c.Scopes), ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: put consent of %q for %q", c.UserID, c.ClientID), err)
	}
	return nil
}

// GetConsent returns storage.ErrNotFound.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c, err := scanConsent(s.q(ctx).QueryRow(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE user_id = $1 AND client_id = $2`, userID, clientID))
	if err != nil {
		return storage.Consent{}, rowErr(fmt.Sprintf("postgres: get consent of %q for %q", userID, clientID), err)
	}
	return c, nil
}

// ListConsentsByUser returns the user's consents ordered by client id.
func (s *Store) ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error) {
	op := fmt.Sprintf("postgres: list consents of %q", userID)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+consentColumns+` FROM consents WHERE user_id = $1 ORDER BY client_id`, userID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanConsent)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// DeleteConsent returns storage.ErrNotFound.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	op := fmt.Sprintf("postgres: delete consent of %q for %q", userID, clientID)
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}
