package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const deviceGrantColumns = `device_code_hash, user_code_hash, client_id, scopes, interval_ns, last_polled_at, status,
	user_id, session_id, org_id, idp, amr, auth_time, granted_scopes, created_at, expires_at`

func deviceGrantArgs(g storage.DeviceGrant) []any {
	return []any{g.DeviceCodeHash, g.UserCodeHash, g.ClientID, list(g.Scopes), int64(g.Interval), ts(g.LastPolledAt), string(g.Status),
		g.UserID, g.SessionID, g.OrgID, g.IdP, list(g.AMR), ts(g.AuthTime), list(g.GrantedScopes), ts(g.CreatedAt), ts(g.ExpiresAt)}
}

func scanDeviceGrant(row pgx.Row) (storage.DeviceGrant, error) {
	var g storage.DeviceGrant
	var interval int64
	var status string
	err := row.Scan(scanBytes(&g.DeviceCodeHash), scanBytes(&g.UserCodeHash), &g.ClientID, scanList(&g.Scopes), &interval,
		scanTime(&g.LastPolledAt), &status, &g.UserID, &g.SessionID, &g.OrgID, &g.IdP, scanList(&g.AMR), scanTime(&g.AuthTime),
		scanList(&g.GrantedScopes), scanTime(&g.CreatedAt), scanTime(&g.ExpiresAt))
	g.Interval = time.Duration(interval)
	g.Status = storage.DeviceGrantStatus(status)
	return g, err
}

// CreateDeviceGrant returns storage.ErrAlreadyExists when either hash is
// taken.
func (s *Store) CreateDeviceGrant(ctx context.Context, g storage.DeviceGrant) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO device_grants (`+deviceGrantColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING`, deviceGrantArgs(g)...)
	if err != nil {
		return dbErr("postgres: create device grant", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create device grant: a code is taken: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// GetDeviceGrant returns storage.ErrNotFound; an expired grant is returned.
func (s *Store) GetDeviceGrant(ctx context.Context, deviceCodeHash []byte) (storage.DeviceGrant, error) {
	g, err := scanDeviceGrant(s.q(ctx).QueryRow(ctx, `SELECT `+deviceGrantColumns+` FROM device_grants
		WHERE device_code_hash = $1`, deviceCodeHash))
	if err != nil {
		return storage.DeviceGrant{}, rowErr("postgres: get device grant", err)
	}
	return g, nil
}

// GetDeviceGrantByUserCode returns storage.ErrNotFound, also when expired
// before now.
func (s *Store) GetDeviceGrantByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (storage.DeviceGrant, error) {
	g, err := scanDeviceGrant(s.q(ctx).QueryRow(ctx, `SELECT `+deviceGrantColumns+` FROM device_grants
		WHERE user_code_hash = $1 AND expires_at >= $2`, userCodeHash, ts(now)))
	if err != nil {
		return storage.DeviceGrant{}, rowErr("postgres: get device grant by user code", err)
	}
	return g, nil
}

// UpdateDeviceGrant applies fn under a row lock: a concurrent update waits
// and then sees this one's result. The hashes cannot change.
func (s *Store) UpdateDeviceGrant(ctx context.Context, deviceCodeHash []byte, fn func(storage.DeviceGrant) (storage.DeviceGrant, error)) error {
	const op = "postgres: update device grant"
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanDeviceGrant(q.QueryRow(ctx, `SELECT `+deviceGrantColumns+` FROM device_grants
			WHERE device_code_hash = $1 FOR UPDATE`, deviceCodeHash))
		if err != nil {
			return rowErr(op, err)
		}
		g, err := fn(old)
		if err != nil {
			return err
		}
		g.DeviceCodeHash, g.UserCodeHash = old.DeviceCodeHash, old.UserCodeHash
		_, err = q.Exec(ctx, `UPDATE device_grants SET (`+deviceGrantColumns+`) =
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) WHERE device_code_hash = $1`, deviceGrantArgs(g)...)
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteExpiredDeviceGrants removes at most limit grants expired before now.
func (s *Store) DeleteExpiredDeviceGrants(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM device_grants WHERE device_code_hash IN (
		SELECT device_code_hash FROM device_grants WHERE expires_at IS NULL OR expires_at < $1 ORDER BY expires_at NULLS FIRST LIMIT $2)`,
		ts(now), limit)
	if err != nil {
		return 0, dbErr("postgres: delete expired device grants", err)
	}
	return int(tag.RowsAffected()), nil
}
