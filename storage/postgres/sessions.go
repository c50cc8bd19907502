package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

// A record with an expiry is live at now while expires_at >= now: "expired
// before now" is the contract's wording. A NULL expiry (a zero time) is
// before any now, so such a record is expired and swept.

const sessionColumns = `id, token_hash, user_id, org_id, auth_time, amr, ip, user_agent, created_at, last_seen, expires_at, idp, upstream_id_token`

func sessionArgs(x storage.Session) []any {
	return []any{x.ID, x.TokenHash, x.UserID, x.OrgID, ts(x.AuthTime), list(x.AMR), x.IP, x.UserAgent,
		ts(x.CreatedAt), ts(x.LastSeen), ts(x.ExpiresAt), x.IdP, x.UpstreamIDToken}
}

func scanSession(row pgx.Row) (storage.Session, error) {
	var x storage.Session
	err := row.Scan(&x.ID, scanBytes(&x.TokenHash), &x.UserID, &x.OrgID, scanTime(&x.AuthTime), scanList(&x.AMR), &x.IP, &x.UserAgent,
		scanTime(&x.CreatedAt), scanTime(&x.LastSeen), scanTime(&x.ExpiresAt), &x.IdP, &x.UpstreamIDToken)
	return x, err
}

// CreateSession returns storage.ErrAlreadyExists on a taken id or token hash.
func (s *Store) CreateSession(ctx context.Context, x storage.Session) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`, sessionArgs(x)...)
	if err != nil {
		return dbErr("postgres: create session", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create session %q: id or token taken: %w", x.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// GetSession returns storage.ErrNotFound, also when the session expired
// before now.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	x, err := scanSession(s.q(ctx).QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE id = $1 AND expires_at >= $2`, id, ts(now)))
	if err != nil {
		return storage.Session{}, rowErr(fmt.Sprintf("postgres: get session %q", id), err)
	}
	return x, nil
}

// GetSessionByTokenHash returns storage.ErrNotFound, also when expired.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (storage.Session, error) {
	x, err := scanSession(s.q(ctx).QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE token_hash = $1 AND expires_at >= $2`, tokenHash, ts(now)))
	if err != nil {
		return storage.Session{}, rowErr("postgres: get session by token", err)
	}
	return x, nil
}

// ListSessionsByUser returns unexpired sessions, newest first.
func (s *Store) ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error) {
	op := fmt.Sprintf("postgres: list sessions of %q", userID)
	rows, err := s.q(ctx).Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND expires_at >= $2 ORDER BY created_at DESC NULLS LAST, id DESC`, userID, ts(now))
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanSession)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// UpdateSession applies fn under a row lock. storage.ErrNotFound;
// storage.ErrAlreadyExists if fn gives it a token hash in use.
func (s *Store) UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error {
	op := fmt.Sprintf("postgres: update session %q", id)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanSession(q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return rowErr(op, err)
		}
		x, err := fn(old)
		if err != nil {
			return err
		}
		x.ID = id
		_, err = q.Exec(ctx, `UPDATE sessions SET (`+sessionColumns+`) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			WHERE id = $1`, sessionArgs(x)...)
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteSession returns storage.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: delete session %q", id), err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(fmt.Sprintf("postgres: delete session %q", id))
	}
	return nil
}

// DeleteSessionsByUser removes every session of the user, expired or not,
// except exceptID, and returns them newest first.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID, exceptID string) ([]storage.Session, error) {
	op := fmt.Sprintf("postgres: delete sessions of %q", userID)
	rows, err := s.q(ctx).Query(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING `+sessionColumns,
		userID, exceptID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out, err := collect(rows, scanSession)
	if err != nil {
		return nil, dbErr(op, err)
	}
	slices.SortFunc(out, func(a, b storage.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

// DeleteExpiredSessions removes at most limit sessions expired before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM sessions WHERE id IN (
		SELECT id FROM sessions WHERE expires_at IS NULL OR expires_at < $1 ORDER BY expires_at NULLS FIRST LIMIT $2)`,
		ts(now), limit)
	if err != nil {
		return 0, dbErr("postgres: delete expired sessions", err)
	}
	return int(tag.RowsAffected()), nil
}
