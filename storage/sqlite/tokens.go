package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const tokenCols = `kind, signature, request_id, requested_at, client_id, subject, session_id, org_id, scopes, granted_scopes,
	audiences, granted_audiences, form, session, active, expires_at, access_signature, first_used_at, family_expires_at`

func scanToken(r rowScanner) (storage.TokenRecord, error) {
	var t storage.TokenRecord
	var kind string
	err := r.Scan(&kind, &t.Signature, &t.RequestID, timeCol{&t.RequestedAt}, &t.ClientID, &t.Subject, &t.SessionID, &t.OrgID,
		listCol{&t.Scopes}, listCol{&t.GrantedScopes}, listCol{&t.Audiences}, listCol{&t.GrantedAudiences}, &t.Form,
		blobCol{&t.Session}, &t.Active, timeCol{&t.ExpiresAt}, &t.AccessSignature, timeCol{&t.FirstUsedAt}, timeCol{&t.FamilyExpiresAt})
	t.Kind = storage.TokenKind(kind)
	return t, err
}

// CreateToken returns storage.ErrAlreadyExists on a taken (Kind, Signature).
func (s *Store) CreateToken(ctx context.Context, t storage.TokenRecord) error {
	_, err := s.exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (`+placeholders(19)+`)`,
		string(t.Kind), t.Signature, t.RequestID, ts(t.RequestedAt), t.ClientID, t.Subject, t.SessionID, t.OrgID,
		list(t.Scopes), list(t.GrantedScopes), list(t.Audiences), list(t.GrantedAudiences), t.Form,
		blob(t.Session), t.Active, ts(t.ExpiresAt), t.AccessSignature, ts(t.FirstUsedAt), ts(t.FamilyExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", t.Kind, err)
	}
	return nil
}

// CreateTokens creates every record in one transaction (the caller's, or
// its own): all or none.
func (s *Store) CreateTokens(ctx context.Context, recs ...storage.TokenRecord) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		for _, t := range recs {
			if err := s.CreateToken(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetToken returns the record whether active or not; storage.ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind storage.TokenKind, signature string) (storage.TokenRecord, error) {
	t, err := scanToken(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+tokenCols+` FROM tokens WHERE kind = ? AND signature = ?`, string(kind), signature))
	if err != nil {
		return storage.TokenRecord{}, fmt.Errorf("sqlite: get %s: %w", kind, noRows(err, "%s", kind))
	}
	return t, nil
}

// DeleteToken returns storage.ErrNotFound.
func (s *Store) DeleteToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	err := s.execOne(ctx, notFound("%s", kind), `DELETE FROM tokens WHERE kind = ? AND signature = ?`, string(kind), signature)
	if err != nil {
		return fmt.Errorf("sqlite: delete %s: %w", kind, err)
	}
	return nil
}

// InvalidateToken flips an active record to inactive in one conditional
// update, so of concurrent callers exactly one succeeds.
// storage.ErrNotFound; storage.ErrInactive if it was inactive already.
func (s *Store) InvalidateToken(ctx context.Context, kind storage.TokenKind, signature string, now time.Time) error {
	n, err := s.exec(ctx, `UPDATE tokens SET active = 0, first_used_at = ? WHERE kind = ? AND signature = ? AND active = 1`,
		ts(now), string(kind), signature)
	if err != nil {
		return fmt.Errorf("sqlite: invalidate %s: %w", kind, err)
	}
	if n == 1 {
		return nil
	}
	// Nothing changed: tell a missing record from a used one.
	var one int
	err = s.q(ctx).QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE kind = ? AND signature = ?`, string(kind), signature).Scan(&one)
	switch {
	case err == nil:
		return fmt.Errorf("sqlite: invalidate %s: %w", kind, storage.ErrInactive)
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: invalidate %s: %w", kind, notFound("%s", kind))
	default:
		return fmt.Errorf("sqlite: invalidate %s: %w", kind, wrapDB(err))
	}
}

// RotateToken invalidates the record and its paired access token in one
// transaction (the caller's, or its own): UPDATE ... RETURNING reads the
// record in the same statement that invalidates it.
func (s *Store) RotateToken(ctx context.Context, kind storage.TokenKind, signature string, now time.Time) (storage.TokenRecord, error) {
	var t storage.TokenRecord
	err := s.InTx(ctx, func(ctx context.Context) error {
		var err error
		t, err = scanToken(s.q(ctx).QueryRowContext(ctx, `UPDATE tokens SET active = 0, first_used_at = ?
			WHERE kind = ? AND signature = ? AND active = 1 RETURNING `+tokenCols, ts(now), string(kind), signature))
		if errors.Is(err, sql.ErrNoRows) {
			// Nothing changed: InvalidateToken tells missing from used.
			return s.InvalidateToken(ctx, kind, signature, now)
		}
		if err != nil {
			return fmt.Errorf("sqlite: rotate %s: %w", kind, wrapDB(err))
		}
		if t.AccessSignature == "" {
			return nil
		}
		if _, err := s.exec(ctx, `UPDATE tokens SET active = 0, first_used_at = ? WHERE kind = ? AND signature = ? AND active = 1`,
			ts(now), string(storage.KindAccessToken), t.AccessSignature); err != nil {
			return fmt.Errorf("sqlite: rotate %s: end its access token: %w", kind, err)
		}
		return nil
	})
	if err != nil {
		return storage.TokenRecord{}, err
	}
	return t, nil
}

// DeactivateTokens marks every matching active record inactive and
// returns how many changed. A filter without Subject, SessionID or
// RequestID is refused: it would revoke far more than anyone meant.
func (s *Store) DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error) {
	if f.Subject == "" && f.SessionID == "" && f.RequestID == "" {
		return 0, errors.New("sqlite: deactivate tokens: the filter needs a subject, session id or request id")
	}
	where := []string{"active = 1"}
	var args []any
	for _, c := range []struct{ col, val string }{
		{"request_id", f.RequestID}, {"subject", f.Subject}, {"client_id", f.ClientID},
		{"session_id", f.SessionID}, {"org_id", f.OrgID},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if len(f.Kinds) > 0 {
		where = append(where, "kind IN ("+placeholders(len(f.Kinds))+")")
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	if !f.IssuedBefore.IsZero() {
		where = append(where, "requested_at < ?")
		args = append(args, f.IssuedBefore.UnixMicro())
	}
	n, err := s.exec(ctx, `UPDATE tokens SET active = 0 WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: deactivate tokens: %w", err)
	}
	return int(n), nil
}

// SessionClients returns the distinct client ids of records made in the
// browser session sessionID.
func (s *Store) SessionClients(ctx context.Context, sessionID string) ([]string, error) {
	if sessionID == "" {
		return nil, nil
	}
	out, err := queryList(ctx, s, func(r rowScanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT DISTINCT client_id FROM tokens WHERE session_id = ? ORDER BY client_id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: clients of session %q: %w", sessionID, err)
	}
	return out, nil
}

// DeleteTokensByRequestID removes every record of kind with that request.
func (s *Store) DeleteTokensByRequestID(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.exec(ctx, `DELETE FROM tokens WHERE kind = ? AND request_id = ?`, string(kind), requestID); err != nil {
		return fmt.Errorf("sqlite: delete %s of request %q: %w", kind, requestID, err)
	}
	return nil
}

// DeleteExpiredTokens removes at most limit records expired before now.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM tokens WHERE rowid IN (SELECT rowid FROM tokens WHERE expires_at < ? LIMIT ?)`,
		now.UnixMicro(), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired tokens: %w", err)
	}
	return int(n), nil
}
