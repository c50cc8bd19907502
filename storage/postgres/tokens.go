package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const tokenColumns = `kind, signature, request_id, requested_at, client_id, subject, session_id, org_id,
	scopes, granted_scopes, audiences, granted_audiences, form, session, active, expires_at,
	access_signature, first_used_at, family_expires_at`

func scanToken(row pgx.Row) (storage.TokenRecord, error) {
	var t storage.TokenRecord
	var kind string
	err := row.Scan(&kind, &t.Signature, &t.RequestID, scanTime(&t.RequestedAt), &t.ClientID, &t.Subject, &t.SessionID, &t.OrgID,
		scanList(&t.Scopes), scanList(&t.GrantedScopes), scanList(&t.Audiences), scanList(&t.GrantedAudiences), &t.Form,
		scanBytes(&t.Session), &t.Active, scanTime(&t.ExpiresAt),
		&t.AccessSignature, scanTime(&t.FirstUsedAt), scanTime(&t.FamilyExpiresAt))
	t.Kind = storage.TokenKind(kind)
	return t, err
}

// CreateToken returns storage.ErrAlreadyExists on a taken (Kind, Signature).
func (s *Store) CreateToken(ctx context.Context, t storage.TokenRecord) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT DO NOTHING`, tokenArgs(t)...)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: create %s", t.Kind), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create %s: signature taken: %w", t.Kind, storage.ErrAlreadyExists)
	}
	return nil
}

const tokenColumnCount = 19

func tokenArgs(t storage.TokenRecord) []any {
	return []any{
		string(t.Kind), t.Signature, t.RequestID, ts(t.RequestedAt), t.ClientID, t.Subject, t.SessionID, t.OrgID,
		list(t.Scopes), list(t.GrantedScopes), list(t.Audiences), list(t.GrantedAudiences), t.Form,
		bytesArg(t.Session), t.Active, ts(t.ExpiresAt),
		t.AccessSignature, ts(t.FirstUsedAt), ts(t.FamilyExpiresAt),
	}
}

// CreateTokens inserts every record with one multi-row INSERT (one round
// trip), in the caller's transaction or its own so that a taken signature
// leaves none of them behind.
func (s *Store) CreateTokens(ctx context.Context, recs ...storage.TokenRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO tokens (` + tokenColumns + `) VALUES `)
	args := make([]any, 0, len(recs)*tokenColumnCount)
	for i, t := range recs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range tokenColumnCount {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", i*tokenColumnCount+j+1)
		}
		b.WriteByte(')')
		args = append(args, tokenArgs(t)...)
	}
	b.WriteString(` ON CONFLICT DO NOTHING`)
	query := b.String()
	return s.InTx(ctx, func(ctx context.Context) error {
		tag, err := s.q(ctx).Exec(ctx, query, args...)
		if err != nil {
			return dbErr("postgres: create tokens", err)
		}
		if tag.RowsAffected() != int64(len(recs)) {
			return fmt.Errorf("postgres: create tokens: a signature is taken: %w", storage.ErrAlreadyExists)
		}
		return nil
	})
}

// GetToken returns the record whether active or not; storage.ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind storage.TokenKind, signature string) (storage.TokenRecord, error) {
	t, err := scanToken(s.q(ctx).QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE kind = $1 AND signature = $2`,
		string(kind), signature))
	if err != nil {
		// Signatures are hashes, but they still name live credentials:
		// keep them out of errors and logs.
		return storage.TokenRecord{}, rowErr(fmt.Sprintf("postgres: get %s", kind), err)
	}
	return t, nil
}

// DeleteToken returns storage.ErrNotFound.
func (s *Store) DeleteToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND signature = $2`, string(kind), signature)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: delete %s", kind), err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(fmt.Sprintf("postgres: delete %s", kind))
	}
	return nil
}

// InvalidateToken flips an active record to inactive as one conditional
// UPDATE: concurrent callers queue on the row lock, and every one after the
// first finds it inactive, so exactly one succeeds (ory/fosite#778).
// storage.ErrNotFound; storage.ErrInactive if it was inactive already.
func (s *Store) InvalidateToken(ctx context.Context, kind storage.TokenKind, signature string, now time.Time) error {
	op := fmt.Sprintf("postgres: invalidate %s", kind)
	q := s.q(ctx)
	var one int
	err := q.QueryRow(ctx, `UPDATE tokens SET active = false, first_used_at = $3
		WHERE kind = $1 AND signature = $2 AND active RETURNING 1`, string(kind), signature, ts(now)).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return dbErr(op, err)
	}
	// Zero rows: tell a missing record from a spent one.
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE kind = $1 AND signature = $2)`,
		string(kind), signature).Scan(&exists); err != nil {
		return dbErr(op, err)
	}
	if exists {
		return fmt.Errorf("%s: %w", op, storage.ErrInactive)
	}
	return notFound(op)
}

// RotateToken invalidates the record and its paired access token in one
// statement (one round trip where InvalidateToken plus a read plus a second
// InvalidateToken took three); the row lock makes exactly one of concurrent
// callers succeed, as for InvalidateToken.
func (s *Store) RotateToken(ctx context.Context, kind storage.TokenKind, signature string, now time.Time) (storage.TokenRecord, error) {
	op := fmt.Sprintf("postgres: rotate %s", kind)
	q := s.q(ctx)
	t, err := scanToken(q.QueryRow(ctx, `WITH r AS (
			UPDATE tokens SET active = false, first_used_at = $3
			WHERE kind = $1 AND signature = $2 AND active
			RETURNING `+tokenColumns+`
		), a AS (
			UPDATE tokens SET active = false, first_used_at = $3
			WHERE kind = $4 AND active AND signature = (SELECT access_signature FROM r) AND signature <> ''
		)
		SELECT `+tokenColumns+` FROM r`, string(kind), signature, ts(now), string(storage.KindAccessToken)))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return storage.TokenRecord{}, dbErr(op, err)
	}
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE kind = $1 AND signature = $2)`,
		string(kind), signature).Scan(&exists); err != nil {
		return storage.TokenRecord{}, dbErr(op, err)
	}
	if exists {
		return storage.TokenRecord{}, fmt.Errorf("%s: %w", op, storage.ErrInactive)
	}
	return storage.TokenRecord{}, notFound(op)
}

// DeactivateTokens marks every matching active record inactive, keeping the
// rows, and returns how many changed. A filter without Subject, SessionID or
// RequestID is refused: it would match every grant.
func (s *Store) DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error) {
	if f.Subject == "" && f.SessionID == "" && f.RequestID == "" {
		return 0, errors.New("postgres: deactivate tokens: the filter needs a subject, session id or request id")
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if len(f.Kinds) > 0 {
		marks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			args = append(args, string(k))
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		where = append(where, "kind IN ("+strings.Join(marks, ", ")+")")
	}
	if f.RequestID != "" {
		add("request_id = ?", f.RequestID)
	}
	if f.Subject != "" {
		add("subject = ?", f.Subject)
	}
	if f.ClientID != "" {
		add("client_id = ?", f.ClientID)
	}
	if f.SessionID != "" {
		add("session_id = ?", f.SessionID)
	}
	if f.OrgID != "" {
		add("org_id = ?", f.OrgID)
	}
	if !f.IssuedBefore.IsZero() {
		add("requested_at < ?", ts(f.IssuedBefore))
	}
	tag, err := s.q(ctx).Exec(ctx, `UPDATE tokens SET active = false WHERE active AND `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, dbErr("postgres: deactivate tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

// SessionClients returns the distinct client ids of records from the
// browser session, active or not.
func (s *Store) SessionClients(ctx context.Context, sessionID string) ([]string, error) {
	op := fmt.Sprintf("postgres: clients of session %q", sessionID)
	rows, err := s.q(ctx).Query(ctx, `SELECT DISTINCT client_id FROM tokens WHERE session_id = $1 ORDER BY client_id`, sessionID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, func(r pgx.Row) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// DeleteTokensByRequestID removes every record of kind with that request.
func (s *Store) DeleteTokensByRequestID(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND request_id = $2`, string(kind), requestID); err != nil {
		return dbErr(fmt.Sprintf("postgres: delete %s of request %q", kind, requestID), err)
	}
	return nil
}

// DeleteExpiredTokens removes at most limit records, active or not, that
// expired before now. A record without an expiry is never swept: fosite
// gives every token one, and a missing one is safer kept than lost.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM tokens WHERE (kind, signature) IN (
		SELECT kind, signature FROM tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)`, ts(now), limit)
	if err != nil {
		return 0, dbErr("postgres: delete expired tokens", err)
	}
	return int(tag.RowsAffected()), nil
}
