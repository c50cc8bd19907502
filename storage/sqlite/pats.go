package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const patCols = `id, user_id, name, token_hash, scopes, created_at, expires_at, last_used_at, amr`

func scanPAT(r rowScanner) (storage.PAT, error) {
	var p storage.PAT
	err := r.Scan(&p.ID, &p.UserID, &p.Name, blobCol{&p.TokenHash}, listCol{&p.Scopes},
		timeCol{&p.CreatedAt}, timeCol{&p.ExpiresAt}, timeCol{&p.LastUsedAt}, listCol{&p.AMR})
	return p, err
}

// CreatePAT returns storage.ErrAlreadyExists on a taken id or hash,
// storage.ErrNotFound if the user does not exist.
func (s *Store) CreatePAT(ctx context.Context, p storage.PAT) error {
	hash := p.TokenHash
	if hash == nil {
		hash = []byte{}
	}
	_, err := s.exec(ctx, `INSERT INTO pats (`+patCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.UserID, p.Name, hash, list(p.Scopes), ts(p.CreatedAt), ts(p.ExpiresAt), ts(p.LastUsedAt), list(p.AMR))
	if err != nil {
		return fmt.Errorf("sqlite: create personal access token %q: %w", p.ID, err)
	}
	return nil
}

// GetPATByHash returns storage.ErrNotFound, also when expired before now.
// A zero expiry never expires.
func (s *Store) GetPATByHash(ctx context.Context, tokenHash []byte, now time.Time) (storage.PAT, error) {
	p, err := scanPAT(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+patCols+` FROM pats WHERE token_hash = ? AND `+unexpired, tokenHash, now.UnixMicro()))
	if err != nil {
		return storage.PAT{}, fmt.Errorf("sqlite: get personal access token: %w", noRows(err, "personal access token"))
	}
	return p, nil
}

// ListPATsByUser returns the person's tokens, newest first.
func (s *Store) ListPATsByUser(ctx context.Context, userID string) ([]storage.PAT, error) {
	out, err := queryList(ctx, s, scanPAT, `SELECT `+patCols+` FROM pats WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list personal access tokens of user %q: %w", userID, err)
	}
	return out, nil
}

// TouchPAT records a use. storage.ErrNotFound.
func (s *Store) TouchPAT(ctx context.Context, id string, now time.Time) error {
	err := s.execOne(ctx, notFound("personal access token %q", id), `UPDATE pats SET last_used_at = ? WHERE id = ?`, ts(now), id)
	if err != nil {
		return fmt.Errorf("sqlite: touch personal access token: %w", err)
	}
	return nil
}

// DeletePAT removes the user's token. storage.ErrNotFound, also when it
// belongs to someone else.
func (s *Store) DeletePAT(ctx context.Context, userID, id string) error {
	err := s.execOne(ctx, notFound("personal access token %q of user %q", id, userID),
		`DELETE FROM pats WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete personal access token: %w", err)
	}
	return nil
}

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
