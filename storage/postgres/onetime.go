package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const oneTimeColumns = `token_hash, purpose, user_id, email, data, created_at, expires_at`

// CreateOneTimeToken stores t and removes every earlier token of the same
// purpose for the same address (ignoring case), in one transaction, so only
// the newest link works.
func (s *Store) CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error {
	op := fmt.Sprintf("postgres: create %s token", t.Purpose)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		if _, err := q.Exec(ctx, `DELETE FROM one_time_tokens WHERE purpose = $1 AND email_key = $2`,
			t.Purpose, emailKey(t.Email)); err != nil {
			return dbErr(op, err)
		}
		tag, err := q.Exec(ctx, `INSERT INTO one_time_tokens (`+oneTimeColumns+`, email_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			t.TokenHash, t.Purpose, nullText(t.UserID), t.Email, bytesArg(t.Data), ts(t.CreatedAt), ts(t.ExpiresAt),
			emailKey(t.Email))
		if err != nil {
			return dbErr(op, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
		}
		return nil
	})
}

// ConsumeOneTimeToken removes and returns the token in one DELETE ...
// RETURNING: of concurrent callers only one gets the row. storage.ErrNotFound
// when absent, of another purpose, or expired before now; those cases leave
// the token as it was.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error) {
	var t storage.OneTimeToken
	err := s.q(ctx).QueryRow(ctx, `DELETE FROM one_time_tokens
		WHERE token_hash = $1 AND purpose = $2 AND expires_at >= $3 RETURNING `+oneTimeColumns,
		tokenHash, purpose, ts(now)).Scan(
		scanBytes(&t.TokenHash), &t.Purpose, scanText(&t.UserID), &t.Email, scanBytes(&t.Data),
		scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt))
	if err != nil {
		return storage.OneTimeToken{}, rowErr(fmt.Sprintf("postgres: consume %s token", purpose), err)
	}
	return t, nil
}

// DeleteOneTimeTokensByUser removes every token of purpose issued to userID.
func (s *Store) DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2`, userID, purpose)
	if err != nil {
		return 0, dbErr(fmt.Sprintf("postgres: delete %s tokens", purpose), err)
	}
	return int(tag.RowsAffected()), nil
}

// GetOneTimeToken returns the token without consuming it. storage.ErrNotFound
// when absent, of another purpose, or expired before now.
func (s *Store) GetOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error) {
	var t storage.OneTimeToken
	err := s.q(ctx).QueryRow(ctx, `SELECT `+oneTimeColumns+` FROM one_time_tokens
		WHERE token_hash = $1 AND purpose = $2 AND expires_at >= $3`,
		tokenHash, purpose, ts(now)).Scan(
		scanBytes(&t.TokenHash), &t.Purpose, scanText(&t.UserID), &t.Email, scanBytes(&t.Data),
		scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt))
	if err != nil {
		return storage.OneTimeToken{}, rowErr(fmt.Sprintf("postgres: get %s token", purpose), err)
	}
	return t, nil
}
