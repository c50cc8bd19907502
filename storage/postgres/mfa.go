package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const totpColumns = `user_id, secret, confirmed_at, last_step, created_at`

func scanTOTP(row pgx.Row) (storage.TOTPFactor, error) {
	var f storage.TOTPFactor
	err := row.Scan(&f.UserID, scanBytes(&f.Secret), scanTime(&f.ConfirmedAt), &f.LastStep, scanTime(&f.CreatedAt))
	return f, err
}

// notNullBytes keeps NOT NULL bytea columns satisfied by an empty value.
func notNullBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// userMissing reports a foreign-key refusal (or a guarded insert that
// touched nothing) as storage.ErrNotFound.
func userMissing(op string, err error) error {
	if pgCode(err) == codeForeignKeyViolation {
		return fmt.Errorf("%s: user does not exist: %w (%w)", op, storage.ErrNotFound, err)
	}
	return dbErr(op, err)
}

// PutTOTP creates or replaces the user's factor. storage.ErrNotFound if
// the user does not exist.
func (s *Store) PutTOTP(ctx context.Context, f storage.TOTPFactor) error {
	op := fmt.Sprintf("postgres: put second factor of %q", f.UserID)
	// The EXISTS guard turns a missing user into zero rows rather than an
	// error that would abort the caller's transaction.
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO totp_factors (`+totpColumns+`)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = excluded.confirmed_at,
			last_step = excluded.last_step, created_at = excluded.created_at`,
		f.UserID, notNullBytes(f.Secret), ts(f.ConfirmedAt), f.LastStep, ts(f.CreatedAt))
	if err != nil {
		return userMissing(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op + ": user does not exist")
	}
	return nil
}

// GetTOTP returns storage.ErrNotFound.
func (s *Store) GetTOTP(ctx context.Context, userID string) (storage.TOTPFactor, error) {
	f, err := scanTOTP(s.q(ctx).QueryRow(ctx, `SELECT `+totpColumns+` FROM totp_factors WHERE user_id = $1`, userID))
	if err != nil {
		return storage.TOTPFactor{}, rowErr(fmt.Sprintf("postgres: get second factor of %q", userID), err)
	}
	return f, nil
}

// UpdateTOTP applies fn under a row lock, so concurrent updates (two codes
// checked at once) run one after the other. storage.ErrNotFound; errors
// from fn come back unchanged.
func (s *Store) UpdateTOTP(ctx context.Context, userID string, fn func(storage.TOTPFactor) (storage.TOTPFactor, error)) error {
	op := fmt.Sprintf("postgres: update second factor of %q", userID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanTOTP(q.QueryRow(ctx, `SELECT `+totpColumns+` FROM totp_factors WHERE user_id = $1 FOR UPDATE`, userID))
		if err != nil {
			return rowErr(op, err)
		}
		f, err := fn(old)
		if err != nil {
			return err
		}
		_, err = q.Exec(ctx, `UPDATE totp_factors SET secret = $2, confirmed_at = $3, last_step = $4, created_at = $5 WHERE user_id = $1`,
			userID, notNullBytes(f.Secret), ts(f.ConfirmedAt), f.LastStep, ts(f.CreatedAt))
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteTOTP removes the factor and the user's recovery codes.
// storage.ErrNotFound when there was no factor.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	op := fmt.Sprintf("postgres: delete second factor of %q", userID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		tag, err := q.Exec(ctx, `DELETE FROM totp_factors WHERE user_id = $1`, userID)
		if err != nil {
			return dbErr(op, err)
		}
		if tag.RowsAffected() == 0 {
			return notFound(op)
		}
		if _, err := q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// ReplaceRecoveryCodes swaps the user's codes for hashes in one
// transaction. storage.ErrNotFound if the user does not exist.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error {
	op := fmt.Sprintf("postgres: replace recovery codes of %q", userID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		var exists bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, userID).Scan(&exists); err != nil {
			return dbErr(op, err)
		}
		if !exists {
			return notFound(op + ": user does not exist")
		}
		if _, err := q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return dbErr(op, err)
		}
		for _, h := range hashes {
			if _, err := q.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)`,
				userID, notNullBytes(h), ts(now)); err != nil {
				return userMissing(op, err)
			}
		}
		return nil
	})
}

// UseRecoveryCode deletes the code; storage.ErrNotFound when absent or used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) error {
	op := fmt.Sprintf("postgres: use recovery code of %q", userID)
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2`, userID, notNullBytes(hash))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// CountRecoveryCodes returns how many unused codes the user has.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.q(ctx).QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, dbErr(fmt.Sprintf("postgres: count recovery codes of %q", userID), err)
	}
	return n, nil
}

const mfaChallengeColumns = `token_hash, user_id, request_id, return_to, created_at, expires_at`

// CreateMFAChallenge stores c and sweeps challenges that expired before
// c.CreatedAt. storage.ErrAlreadyExists; storage.ErrNotFound if the user
// does not exist.
func (s *Store) CreateMFAChallenge(ctx context.Context, c storage.MFAChallenge) error {
	op := fmt.Sprintf("postgres: create second-factor challenge for %q", c.UserID)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		if !c.CreatedAt.IsZero() {
			if _, err := q.Exec(ctx, `DELETE FROM mfa_challenges WHERE expires_at < $1`, ts(c.CreatedAt)); err != nil {
				return dbErr(op, err)
			}
		}
		return insertUnder(ctx, q, op, "users", c.UserID, `INSERT INTO mfa_challenges (`+mfaChallengeColumns+`)
			SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
			ON CONFLICT DO NOTHING`,
			notNullBytes(c.TokenHash), c.UserID, nullText(c.RequestID), nullText(c.ReturnTo), ts(c.CreatedAt), ts(c.ExpiresAt))
	})
}

// GetMFAChallenge returns storage.ErrNotFound, also when expired before now.
func (s *Store) GetMFAChallenge(ctx context.Context, tokenHash []byte, now time.Time) (storage.MFAChallenge, error) {
	var c storage.MFAChallenge
	err := s.q(ctx).QueryRow(ctx, `SELECT `+mfaChallengeColumns+` FROM mfa_challenges
		WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at >= $2)`, notNullBytes(tokenHash), ts(now)).
		Scan(scanBytes(&c.TokenHash), &c.UserID, scanText(&c.RequestID), scanText(&c.ReturnTo), scanTime(&c.CreatedAt), scanTime(&c.ExpiresAt))
	if err != nil {
		return storage.MFAChallenge{}, rowErr("postgres: get second-factor challenge", err)
	}
	return c, nil
}

// DeleteMFAChallenge returns storage.ErrNotFound.
func (s *Store) DeleteMFAChallenge(ctx context.Context, tokenHash []byte) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM mfa_challenges WHERE token_hash = $1`, notNullBytes(tokenHash))
	if err != nil {
		return dbErr("postgres: delete second-factor challenge", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("postgres: delete second-factor challenge")
	}
	return nil
}
