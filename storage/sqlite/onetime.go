package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const oneTimeCols = `token_hash, purpose, user_id, email, data, created_at, expires_at`

func scanOneTime(r rowScanner) (storage.OneTimeToken, error) {
	var t storage.OneTimeToken
	err := r.Scan(blobCol{&t.TokenHash}, &t.Purpose, stringCol{&t.UserID}, &t.Email, blobCol{&t.Data},
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt})
	return t, err
}

// CreateOneTimeToken stores t and removes every earlier token of the same
// Purpose and Email, in one transaction. Tokens that expired before t was
// created go too: nothing else sweeps them.
func (s *Store) CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error {
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `DELETE FROM one_time_tokens WHERE (purpose = ? AND email = ?) OR expires_at < ?`,
			t.Purpose, t.Email, ts(t.CreatedAt)); err != nil {
			return err
		}
		hash := t.TokenHash
		if hash == nil {
			hash = []byte{}
		}
		_, err := s.exec(ctx, `INSERT INTO one_time_tokens (`+oneTimeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hash, t.Purpose, nullString(t.UserID), t.Email, blob(t.Data), ts(t.CreatedAt), ts(t.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create %s token: %w", t.Purpose, err)
	}
	return nil
}

// ConsumeOneTimeToken removes and returns the token in one statement, so of
// concurrent callers one gets it. storage.ErrNotFound when absent, of
// another purpose, or expired before now.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error) {
	t, err := scanOneTime(s.q(ctx).QueryRowContext(ctx, `DELETE FROM one_time_tokens
		WHERE token_hash = ? AND purpose = ? AND `+unexpired+` RETURNING `+oneTimeCols, tokenHash, purpose, now.UnixMicro()))
	if err != nil {
		return storage.OneTimeToken{}, fmt.Errorf("sqlite: consume %s token: %w", purpose, noRows(err, "%s token", purpose))
	}
	return t, nil
}

// DeleteOneTimeTokensByUser removes every token of purpose issued to userID.
func (s *Store) DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM one_time_tokens WHERE user_id = ? AND purpose = ?`, userID, purpose)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete %s tokens: %w", purpose, err)
	}
	return int(n), nil
}

// GetOneTimeToken returns the token without consuming it. storage.ErrNotFound
// when absent, of another purpose, or expired before now.
func (s *Store) GetOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error) {
	t, err := scanOneTime(s.q(ctx).QueryRowContext(ctx, `SELECT `+oneTimeCols+` FROM one_time_tokens
		WHERE token_hash = ? AND purpose = ? AND `+unexpired, tokenHash, purpose, now.UnixMicro()))
	if err != nil {
		return storage.OneTimeToken{}, fmt.Errorf("sqlite: get %s token: %w", purpose, noRows(err, "%s token", purpose))
	}
	return t, nil
}
