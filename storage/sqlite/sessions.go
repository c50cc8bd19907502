package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// A record expired before now is absent. A NULL (zero) expiry never
// expires; the callers always set one.
const unexpired = `(expires_at IS NULL OR expires_at >= ?)`

const sessionCols = `id, token_hash, user_id, org_id, auth_time, amr, ip, user_agent, created_at, last_seen, expires_at, idp, upstream_id_token`

func scanSession(r rowScanner) (storage.Session, error) {
	var x storage.Session
	err := r.Scan(&x.ID, blobCol{&x.TokenHash}, &x.UserID, &x.OrgID, timeCol{&x.AuthTime}, listCol{&x.AMR}, &x.IP, &x.UserAgent,
		timeCol{&x.CreatedAt}, timeCol{&x.LastSeen}, timeCol{&x.ExpiresAt}, &x.IdP, &x.UpstreamIDToken)
	return x, err
}

func sessionArgs(x storage.Session) []any {
	return []any{x.ID, x.TokenHash, x.UserID, x.OrgID, ts(x.AuthTime), list(x.AMR), x.IP, x.UserAgent,
		ts(x.CreatedAt), ts(x.LastSeen), ts(x.ExpiresAt), x.IdP, x.UpstreamIDToken}
}

// CreateSession returns storage.ErrAlreadyExists on a taken id or token
// hash, storage.ErrNotFound if the user does not exist.
func (s *Store) CreateSession(ctx context.Context, x storage.Session) error {
	if x.TokenHash == nil {
		x.TokenHash = []byte{}
	}
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (`+placeholders(13)+`)`, sessionArgs(x)...)
	if err != nil {
		return fmt.Errorf("sqlite: create session %q: %w", x.ID, err)
	}
	return nil
}

// GetSession returns storage.ErrNotFound, also when expired before now.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	x, err := scanSession(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+sessionCols+` FROM sessions WHERE id = ? AND `+unexpired, id, now.UnixMicro()))
	if err != nil {
		return storage.Session{}, fmt.Errorf("sqlite: get session: %w", noRows(err, "session %q", id))
	}
	return x, nil
}

// GetSessionByTokenHash returns storage.ErrNotFound, also when expired.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (storage.Session, error) {
	x, err := scanSession(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+sessionCols+` FROM sessions WHERE token_hash = ? AND `+unexpired, tokenHash, now.UnixMicro()))
	if err != nil {
		return storage.Session{}, fmt.Errorf("sqlite: get session by token: %w", noRows(err, "session"))
	}
	return x, nil
}

// ListSessionsByUser returns unexpired sessions, newest first.
func (s *Store) ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error) {
	out, err := queryList(ctx, s, scanSession, `SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? AND `+unexpired+` ORDER BY created_at DESC, id DESC`, userID, now.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("sqlite: list sessions of user %q: %w", userID, err)
	}
	return out, nil
}

// UpdateSession applies fn in one transaction. The id cannot change.
func (s *Store) UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := scanSession(s.q(ctx).QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
		if err != nil {
			return fmt.Errorf("sqlite: update session: %w", noRows(err, "session %q", id))
		}
		x, err := fn(old)
		if err != nil {
			return err
		}
		x.ID = id
		if x.TokenHash == nil {
			x.TokenHash = []byte{}
		}
		_, err = s.exec(ctx, `UPDATE sessions SET (`+sessionCols[len("id, "):]+`) = (`+placeholders(12)+`) WHERE id = ?`,
			append(sessionArgs(x)[1:], id)...)
		if err != nil {
			return fmt.Errorf("sqlite: update session %q: %w", id, err)
		}
		return nil
	})
}

// DeleteSession returns storage.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.execOne(ctx, notFound("session %q", id), `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteSessionsByUser removes every session of the user but exceptID, in
// one statement, and returns what it removed.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID, exceptID string) ([]storage.Session, error) {
	out, err := queryList(ctx, s, scanSession, `DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING `+sessionCols, userID, exceptID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions of user %q: %w", userID, err)
	}
	return out, nil
}

// DeleteExpiredSessions removes at most limit sessions expired before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ? LIMIT ?)`, now.UnixMicro(), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return int(n), nil
}
