package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const passkeyCols = `id, user_id, credential_id, credential, name, aaguid, attachment, sign_count, clone_warning,
	created_at, last_used_at`

func scanPasskey(r rowScanner) (storage.Passkey, error) {
	var p storage.Passkey
	var count int64
	err := r.Scan(&p.ID, &p.UserID, blobCol{&p.CredentialID}, blobCol{&p.Credential}, &p.Name, blobCol{&p.AAGUID},
		&p.Attachment, &count, &p.CloneWarning, timeCol{&p.CreatedAt}, timeCol{&p.LastUsedAt})
	p.SignCount = uint32(count)
	return p, err
}

// CreatePasskey returns storage.ErrAlreadyExists on a taken id or
// credential id, storage.ErrNotFound if the user does not exist.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	_, err := s.exec(ctx, `INSERT INTO passkeys (`+passkeyCols+`) VALUES (`+placeholders(11)+`)`,
		p.ID, p.UserID, secretArg(p.CredentialID), secretArg(p.Credential), p.Name, p.AAGUID, p.Attachment,
		int64(p.SignCount), p.CloneWarning, ts(p.CreatedAt), ts(p.LastUsedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create passkey for user %q: %w", p.UserID, err)
	}
	return nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error) {
	out, err := queryList(ctx, s, scanPasskey, `SELECT `+passkeyCols+` FROM passkeys WHERE user_id = ?
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list passkeys of user %q: %w", userID, err)
	}
	return out, nil
}

// GetPasskeyByCredentialID returns storage.ErrNotFound.
func (s *Store) GetPasskeyByCredentialID(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	p, err := scanPasskey(s.q(ctx).QueryRowContext(ctx, `SELECT `+passkeyCols+` FROM passkeys WHERE credential_id = ?`,
		secretArg(credentialID)))
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("sqlite: get passkey: %w", noRows(err, "passkey"))
	}
	return p, nil
}

// UpdatePasskey applies fn in one (immediate, so serialized) transaction.
func (s *Store) UpdatePasskey(ctx context.Context, userID, id string, fn func(storage.Passkey) (storage.Passkey, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := scanPasskey(s.q(ctx).QueryRowContext(ctx, `SELECT `+passkeyCols+` FROM passkeys WHERE id = ? AND user_id = ?`,
			id, userID))
		if err != nil {
			return fmt.Errorf("sqlite: update passkey: %w", noRows(err, "passkey %q", id))
		}
		p, err := fn(old)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE passkeys SET credential = ?, name = ?, aaguid = ?, attachment = ?, sign_count = ?,
			clone_warning = ?, created_at = ?, last_used_at = ? WHERE id = ?`,
			secretArg(p.Credential), p.Name, p.AAGUID, p.Attachment, int64(p.SignCount), p.CloneWarning,
			ts(p.CreatedAt), ts(p.LastUsedAt), id)
		if err != nil {
			return fmt.Errorf("sqlite: update passkey %q: %w", id, err)
		}
		return nil
	})
}

// DeletePasskey returns storage.ErrNotFound.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	err := s.execOne(ctx, notFound("passkey %q", id), `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete passkey: %w", err)
	}
	return nil
}

// DeletePasskeys removes every passkey of the user.
func (s *Store) DeletePasskeys(ctx context.Context, userID string) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM passkeys WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete passkeys of user %q: %w", userID, err)
	}
	return int(n), nil
}

const passkeyChallengeCols = `token_hash, purpose, user_id, session, created_at, expires_at`

// CreatePasskeyChallenge stores c and sweeps challenges that expired before
// c.CreatedAt. storage.ErrAlreadyExists on a taken hash.
func (s *Store) CreatePasskeyChallenge(ctx context.Context, c storage.PasskeyChallenge) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if !c.CreatedAt.IsZero() {
			if _, err := s.exec(ctx, `DELETE FROM passkey_challenges WHERE expires_at < ?`, c.CreatedAt.UnixMicro()); err != nil {
				return fmt.Errorf("sqlite: sweep passkey challenges: %w", err)
			}
		}
		_, err := s.exec(ctx, `INSERT INTO passkey_challenges (`+passkeyChallengeCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			secretArg(c.TokenHash), c.Purpose, c.UserID, secretArg(c.Session), ts(c.CreatedAt), ts(c.ExpiresAt))
		if err != nil {
			return fmt.Errorf("sqlite: create passkey challenge: %w", err)
		}
		return nil
	})
}

// TakePasskeyChallenge deletes the challenge and returns it when it is of
// purpose and unexpired; storage.ErrNotFound otherwise.
func (s *Store) TakePasskeyChallenge(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.PasskeyChallenge, error) {
	var c storage.PasskeyChallenge
	err := s.q(ctx).QueryRowContext(ctx, `DELETE FROM passkey_challenges WHERE token_hash = ? RETURNING `+passkeyChallengeCols,
		secretArg(tokenHash)).
		Scan(blobCol{&c.TokenHash}, &c.Purpose, &c.UserID, blobCol{&c.Session}, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt})
	if err != nil {
		return storage.PasskeyChallenge{}, fmt.Errorf("sqlite: take passkey challenge: %w", noRows(err, "passkey challenge"))
	}
	if c.Purpose != purpose || (!c.ExpiresAt.IsZero() && c.ExpiresAt.Before(now)) {
		return storage.PasskeyChallenge{}, fmt.Errorf("sqlite: take passkey challenge: %w", notFound("passkey challenge"))
	}
	return c, nil
}
