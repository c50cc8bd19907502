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

// ListPATsByUser returns the user's tokens, newest first.
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
