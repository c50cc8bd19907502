package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const passkeyColumns = `id, user_id, credential_id, credential, name, aaguid, attachment, sign_count, clone_warning,
	created_at, last_used_at`

func scanPasskey(row pgx.Row) (storage.Passkey, error) {
	var p storage.Passkey
	var count int64
	err := row.Scan(&p.ID, &p.UserID, scanBytes(&p.CredentialID), scanBytes(&p.Credential), &p.Name, scanBytes(&p.AAGUID),
		&p.Attachment, &count, &p.CloneWarning, scanTime(&p.CreatedAt), scanTime(&p.LastUsedAt))
	p.SignCount = uint32(count)
	return p, err
}

// CreatePasskey returns storage.ErrAlreadyExists on a taken id or
// credential id, storage.ErrNotFound if the user does not exist.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	op := fmt.Sprintf("postgres: create passkey for %q", p.UserID)
	return insertUnder(ctx, s.q(ctx), op, "users", p.UserID, `INSERT INTO passkeys (`+passkeyColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		p.ID, p.UserID, notNullBytes(p.CredentialID), notNullBytes(p.Credential), p.Name, p.AAGUID, p.Attachment,
		int64(p.SignCount), p.CloneWarning, ts(p.CreatedAt), ts(p.LastUsedAt))
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error) {
	op := fmt.Sprintf("postgres: list passkeys of %q", userID)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1
		ORDER BY created_at NULLS FIRST, id`, userID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanPasskey)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// GetPasskeyByCredentialID returns storage.ErrNotFound.
func (s *Store) GetPasskeyByCredentialID(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	p, err := scanPasskey(s.q(ctx).QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = $1`,
		notNullBytes(credentialID)))
	if err != nil {
		return storage.Passkey{}, rowErr("postgres: get passkey", err)
	}
	return p, nil
}

// UpdatePasskey applies fn to the row locked FOR UPDATE.
func (s *Store) UpdatePasskey(ctx context.Context, userID, id string, fn func(storage.Passkey) (storage.Passkey, error)) error {
	op := fmt.Sprintf("postgres: update passkey %q", id)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanPasskey(q.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE id = $1 AND user_id = $2 FOR UPDATE`,
			id, userID))
		if err != nil {
			return rowErr(op, err)
		}
		p, err := fn(old)
		if err != nil {
			return err
		}
		_, err = q.Exec(ctx, `UPDATE passkeys SET credential = $2, name = $3, aaguid = $4, attachment = $5, sign_count = $6,
			clone_warning = $7, created_at = $8, last_used_at = $9 WHERE id = $1`,
			id, notNullBytes(p.Credential), p.Name, p.AAGUID, p.Attachment, int64(p.SignCount), p.CloneWarning,
			ts(p.CreatedAt), ts(p.LastUsedAt))
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeletePasskey returns storage.ErrNotFound.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	op := fmt.Sprintf("postgres: delete passkey %q", id)
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// DeletePasskeys removes every passkey of the user.
func (s *Store) DeletePasskeys(ctx context.Context, userID string) (int, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1`, userID)
	if err != nil {
		return 0, dbErr(fmt.Sprintf("postgres: delete passkeys of %q", userID), err)
	}
	return int(tag.RowsAffected()), nil
}

const passkeyChallengeColumns = `token_hash, purpose, user_id, session, created_at, expires_at`

// CreatePasskeyChallenge stores c and sweeps challenges that expired before
// c.CreatedAt. storage.ErrAlreadyExists on a taken hash.
func (s *Store) CreatePasskeyChallenge(ctx context.Context, c storage.PasskeyChallenge) error {
	op := "postgres: create passkey challenge"
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		if !c.CreatedAt.IsZero() {
			if _, err := q.Exec(ctx, `DELETE FROM passkey_challenges WHERE expires_at < $1`, ts(c.CreatedAt)); err != nil {
				return dbErr(op, err)
			}
		}
		tag, err := q.Exec(ctx, `INSERT INTO passkey_challenges (`+passkeyChallengeColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			notNullBytes(c.TokenHash), c.Purpose, c.UserID, notNullBytes(c.Session), ts(c.CreatedAt), ts(c.ExpiresAt))
		if err != nil {
			return dbErr(op, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
		}
		return nil
	})
}

// TakePasskeyChallenge deletes the challenge and returns it when it is of
// purpose and unexpired; storage.ErrNotFound otherwise.
func (s *Store) TakePasskeyChallenge(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.PasskeyChallenge, error) {
	op := "postgres: take passkey challenge"
	var c storage.PasskeyChallenge
	err := s.q(ctx).QueryRow(ctx, `DELETE FROM passkey_challenges WHERE token_hash = $1 RETURNING `+passkeyChallengeColumns,
		notNullBytes(tokenHash)).
		Scan(scanBytes(&c.TokenHash), &c.Purpose, &c.UserID, scanBytes(&c.Session), scanTime(&c.CreatedAt), scanTime(&c.ExpiresAt))
	if err != nil {
		return storage.PasskeyChallenge{}, rowErr(op, err)
	}
	if c.Purpose != purpose || (!c.ExpiresAt.IsZero() && c.ExpiresAt.Before(now)) {
		return storage.PasskeyChallenge{}, notFound(op)
	}
	return c, nil
}
