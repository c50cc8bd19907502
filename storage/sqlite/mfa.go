package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const totpCols = `user_id, secret, confirmed_at, last_step, created_at`

func scanTOTP(r rowScanner) (storage.TOTPFactor, error) {
	var f storage.TOTPFactor
	err := r.Scan(&f.UserID, blobCol{&f.Secret}, timeCol{&f.ConfirmedAt}, &f.LastStep, timeCol{&f.CreatedAt})
	return f, err
}

// PutTOTP creates or replaces the user's factor. storage.ErrNotFound if
// the user does not exist.
func (s *Store) PutTOTP(ctx context.Context, f storage.TOTPFactor) error {
	_, err := s.exec(ctx, `INSERT INTO totp_factors (`+totpCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = excluded.confirmed_at,
			last_step = excluded.last_step, created_at = excluded.created_at`,
		f.UserID, secretArg(f.Secret), ts(f.ConfirmedAt), f.LastStep, ts(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put second factor of user %q: %w", f.UserID, err)
	}
	return nil
}

// secretArg keeps a NOT NULL column satisfied by an empty secret, which the
// conformance suite uses as an edge case.
func secretArg(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetTOTP returns storage.ErrNotFound.
func (s *Store) GetTOTP(ctx context.Context, userID string) (storage.TOTPFactor, error) {
	f, err := scanTOTP(s.q(ctx).QueryRowContext(ctx, `SELECT `+totpCols+` FROM totp_factors WHERE user_id = ?`, userID))
	if err != nil {
		return storage.TOTPFactor{}, fmt.Errorf("sqlite: get second factor: %w", noRows(err, "second factor of user %q", userID))
	}
	return f, nil
}

// UpdateTOTP applies fn in one (immediate, so serialized) transaction.
// storage.ErrNotFound; errors from fn come back unchanged.
func (s *Store) UpdateTOTP(ctx context.Context, userID string, fn func(storage.TOTPFactor) (storage.TOTPFactor, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.GetTOTP(ctx, userID)
		if err != nil {
			return err
		}
		f, err := fn(old)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE totp_factors SET secret = ?, confirmed_at = ?, last_step = ?, created_at = ? WHERE user_id = ?`,
			secretArg(f.Secret), ts(f.ConfirmedAt), f.LastStep, ts(f.CreatedAt), userID)
		if err != nil {
			return fmt.Errorf("sqlite: update second factor of user %q: %w", userID, err)
		}
		return nil
	})
}

// DeleteTOTP removes the factor and the user's recovery codes.
// storage.ErrNotFound when there was no factor.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := s.execOne(ctx, notFound("second factor of user %q", userID),
			`DELETE FROM totp_factors WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("sqlite: delete second factor: %w", err)
		}
		if _, err := s.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("sqlite: delete recovery codes of user %q: %w", userID, err)
		}
		return nil
	})
}

// ReplaceRecoveryCodes swaps the user's recovery codes for hashes in one
// transaction. storage.ErrNotFound if the user does not exist.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("sqlite: replace recovery codes of user %q: %w", userID, err)
		}
		for _, h := range hashes {
			if _, err := s.exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
				userID, secretArg(h), ts(now)); err != nil {
				return fmt.Errorf("sqlite: store recovery code of user %q: %w", userID, err)
			}
		}
		return nil
	})
}

// UseRecoveryCode deletes the code; storage.ErrNotFound when absent or used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) error {
	err := s.execOne(ctx, notFound("recovery code of user %q", userID),
		`DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?`, userID, secretArg(hash))
	if err != nil {
		return fmt.Errorf("sqlite: use recovery code: %w", err)
	}
	return nil
}

// CountRecoveryCodes returns how many unused codes the user has.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count recovery codes of user %q: %w", userID, wrapDB(err))
	}
	return n, nil
}

const mfaChallengeCols = `token_hash, user_id, request_id, return_to, created_at, expires_at`

// CreateMFAChallenge stores c and sweeps challenges that expired before
// c.CreatedAt. storage.ErrAlreadyExists; storage.ErrNotFound if the user
// does not exist.
func (s *Store) CreateMFAChallenge(ctx context.Context, c storage.MFAChallenge) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if !c.CreatedAt.IsZero() {
			if _, err := s.exec(ctx, `DELETE FROM mfa_challenges WHERE expires_at < ?`, c.CreatedAt.UnixMicro()); err != nil {
				return fmt.Errorf("sqlite: sweep second-factor challenges: %w", err)
			}
		}
		_, err := s.exec(ctx, `INSERT INTO mfa_challenges (`+mfaChallengeCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			secretArg(c.TokenHash), c.UserID, nullString(c.RequestID), nullString(c.ReturnTo), ts(c.CreatedAt), ts(c.ExpiresAt))
		if err != nil {
			return fmt.Errorf("sqlite: create second-factor challenge for user %q: %w", c.UserID, err)
		}
		return nil
	})
}

// GetMFAChallenge returns storage.ErrNotFound, also when expired before now.
func (s *Store) GetMFAChallenge(ctx context.Context, tokenHash []byte, now time.Time) (storage.MFAChallenge, error) {
	var c storage.MFAChallenge
	err := s.q(ctx).QueryRowContext(ctx, `SELECT `+mfaChallengeCols+` FROM mfa_challenges WHERE token_hash = ? AND `+unexpired,
		secretArg(tokenHash), now.UnixMicro()).
		Scan(blobCol{&c.TokenHash}, &c.UserID, stringCol{&c.RequestID}, stringCol{&c.ReturnTo}, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt})
	if err != nil {
		return storage.MFAChallenge{}, fmt.Errorf("sqlite: get second-factor challenge: %w", noRows(err, "second-factor challenge"))
	}
	return c, nil
}

// DeleteMFAChallenge returns storage.ErrNotFound.
func (s *Store) DeleteMFAChallenge(ctx context.Context, tokenHash []byte) error {
	err := s.execOne(ctx, notFound("second-factor challenge"), `DELETE FROM mfa_challenges WHERE token_hash = ?`, secretArg(tokenHash))
	if err != nil {
		return fmt.Errorf("sqlite: delete second-factor challenge: %w", err)
	}
	return nil
}
