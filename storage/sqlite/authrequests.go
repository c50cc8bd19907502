package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const authRequestCols = `id, client_id, form, session_id, login_at, org_id, consent_given, denied, acr, created_at, expires_at`

func scanAuthRequest(r rowScanner) (storage.AuthRequest, error) {
	var a storage.AuthRequest
	err := r.Scan(&a.ID, &a.ClientID, &a.Form, &a.SessionID, timeCol{&a.LoginAt}, &a.OrgID, &a.ConsentGiven, &a.Denied, &a.ACR,
		timeCol{&a.CreatedAt}, timeCol{&a.ExpiresAt})
	return a, err
}

func authRequestArgs(a storage.AuthRequest) []any {
	return []any{a.ID, a.ClientID, a.Form, a.SessionID, ts(a.LoginAt), a.OrgID, a.ConsentGiven, a.Denied, a.ACR, ts(a.CreatedAt), ts(a.ExpiresAt)}
}

// CreateAuthRequest returns storage.ErrAlreadyExists.
func (s *Store) CreateAuthRequest(ctx context.Context, a storage.AuthRequest) error {
	_, err := s.exec(ctx, `INSERT INTO auth_requests (`+authRequestCols+`) VALUES (`+placeholders(11)+`)`, authRequestArgs(a)...)
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
		_, err = s.exec(ctx, `UPDATE auth_requests SET (`+authRequestCols[len("id, "):]+`) = (`+placeholders(10)+`) WHERE id = ?`,
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
