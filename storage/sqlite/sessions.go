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

const authRequestCols = `id, client_id, form, session_id, login_at, org_id, consent_given, denied, created_at, expires_at`

func scanAuthRequest(r rowScanner) (storage.AuthRequest, error) {
	var a storage.AuthRequest
	err := r.Scan(&a.ID, &a.ClientID, &a.Form, &a.SessionID, timeCol{&a.LoginAt}, &a.OrgID, &a.ConsentGiven, &a.Denied,
		timeCol{&a.CreatedAt}, timeCol{&a.ExpiresAt})
	return a, err
}

func authRequestArgs(a storage.AuthRequest) []any {
	return []any{a.ID, a.ClientID, a.Form, a.SessionID, ts(a.LoginAt), a.OrgID, a.ConsentGiven, a.Denied, ts(a.CreatedAt), ts(a.ExpiresAt)}
}

// CreateAuthRequest returns storage.ErrAlreadyExists.
func (s *Store) CreateAuthRequest(ctx context.Context, a storage.AuthRequest) error {
	_, err := s.exec(ctx, `INSERT INTO auth_requests (`+authRequestCols+`) VALUES (`+placeholders(10)+`)`, authRequestArgs(a)...)
	if err != nil {
		return fmt.Errorf("sqlite: create auth request %q: %w", a.ID, err)
	}
	return nil
}

// GetAuthRequest returns storage.ErrNotFound, also when expired before now.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	a, err := scanAuthRequest(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+authRequestCols+` FROM auth_requests WHERE id = ? AND `+unexpired, id, now.UnixMicro()))
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("sqlite: get auth request: %w", noRows(err, "auth request %q", id))
	}
	return a, nil
}

// UpdateAuthRequest applies fn in one transaction. The id cannot change.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := scanAuthRequest(s.q(ctx).QueryRowContext(ctx, `SELECT `+authRequestCols+` FROM auth_requests WHERE id = ?`, id))
		if err != nil {
			return fmt.Errorf("sqlite: update auth request: %w", noRows(err, "auth request %q", id))
		}
		a, err := fn(old)
		if err != nil {
			return err
		}
		a.ID = id
		_, err = s.exec(ctx, `UPDATE auth_requests SET (`+authRequestCols[len("id, "):]+`) = (`+placeholders(9)+`) WHERE id = ?`,
			append(authRequestArgs(a)[1:], id)...)
		if err != nil {
			return fmt.Errorf("sqlite: update auth request %q: %w", id, err)
		}
		return nil
	})
}

// DeleteAuthRequest returns storage.ErrNotFound.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := s.execOne(ctx, notFound("auth request %q", id), `DELETE FROM auth_requests WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete auth request: %w", err)
	}
	return nil
}

// DeleteExpiredAuthRequests removes at most limit requests expired before now.
func (s *Store) DeleteExpiredAuthRequests(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM auth_requests WHERE id IN (SELECT id FROM auth_requests WHERE expires_at < ? LIMIT ?)`,
		now.UnixMicro(), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired auth requests: %w", err)
	}
	return int(n), nil
}

const consentCols = `user_id, client_id, scopes, created_at, updated_at`

func scanConsent(r rowScanner) (storage.Consent, error) {
	var c storage.Consent
	err := r.Scan(&c.UserID, &c.ClientID, listCol{&c.Scopes}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// PutConsent creates or replaces the consent for (UserID, ClientID).
func (s *Store) PutConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.exec(ctx, `INSERT INTO consents (`+consentCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, created_at = excluded.created_at, updated_at = excluded.updated_at`,
		c.UserID, c.ClientID, list(c.Scopes), ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put consent of user %q for client %q: %w", c.UserID, c.ClientID, err)
	}
	return nil
}

// GetConsent returns storage.ErrNotFound.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c, err := scanConsent(s.q(ctx).QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID))
	if err != nil {
		return storage.Consent{}, fmt.Errorf("sqlite: get consent: %w", noRows(err, "consent of user %q for client %q", userID, clientID))
	}
	return c, nil
}

// ListConsentsByUser returns the person's consents ordered by client id.
func (s *Store) ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error) {
	out, err := queryList(ctx, s, scanConsent, `SELECT `+consentCols+` FROM consents WHERE user_id = ? ORDER BY client_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list consents of user %q: %w", userID, err)
	}
	return out, nil
}

// DeleteConsent returns storage.ErrNotFound.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	err := s.execOne(ctx, notFound("consent of user %q for client %q", userID, clientID),
		`DELETE FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID)
	if err != nil {
		return fmt.Errorf("sqlite: delete consent: %w", err)
	}
	return nil
}
