package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const deviceGrantCols = `device_code_hash, user_code_hash, client_id, scopes, interval_ns, last_polled_at, status,
	user_id, session_id, org_id, idp, amr, auth_time, granted_scopes, created_at, expires_at`

func scanDeviceGrant(r rowScanner) (storage.DeviceGrant, error) {
	var g storage.DeviceGrant
	var interval int64
	var status string
	err := r.Scan(blobCol{&g.DeviceCodeHash}, blobCol{&g.UserCodeHash}, &g.ClientID, listCol{&g.Scopes}, &interval,
		timeCol{&g.LastPolledAt}, &status, &g.UserID, &g.SessionID, &g.OrgID, &g.IdP, listCol{&g.AMR}, timeCol{&g.AuthTime},
		listCol{&g.GrantedScopes}, timeCol{&g.CreatedAt}, timeCol{&g.ExpiresAt})
	g.Interval = time.Duration(interval)
	g.Status = storage.DeviceGrantStatus(status)
	return g, err
}

func deviceGrantArgs(g storage.DeviceGrant) []any {
	return []any{g.DeviceCodeHash, g.UserCodeHash, g.ClientID, list(g.Scopes), int64(g.Interval), ts(g.LastPolledAt), string(g.Status),
		g.UserID, g.SessionID, g.OrgID, g.IdP, list(g.AMR), ts(g.AuthTime), list(g.GrantedScopes), ts(g.CreatedAt), ts(g.ExpiresAt)}
}

// CreateDeviceGrant returns storage.ErrAlreadyExists when either hash is
// taken.
func (s *Store) CreateDeviceGrant(ctx context.Context, g storage.DeviceGrant) error {
	if _, err := s.exec(ctx, `INSERT INTO device_grants (`+deviceGrantCols+`) VALUES (`+placeholders(16)+`)`, deviceGrantArgs(g)...); err != nil {
		return fmt.Errorf("sqlite: create device grant: %w", err)
	}
	return nil
}

// GetDeviceGrant returns storage.ErrNotFound; an expired grant is returned.
func (s *Store) GetDeviceGrant(ctx context.Context, deviceCodeHash []byte) (storage.DeviceGrant, error) {
	g, err := scanDeviceGrant(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+deviceGrantCols+` FROM device_grants WHERE device_code_hash = ?`, deviceCodeHash))
	if err != nil {
		return storage.DeviceGrant{}, fmt.Errorf("sqlite: get device grant: %w", noRows(err, "device grant"))
	}
	return g, nil
}

// GetDeviceGrantByUserCode returns storage.ErrNotFound, also when expired
// before now.
func (s *Store) GetDeviceGrantByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (storage.DeviceGrant, error) {
	g, err := scanDeviceGrant(s.q(ctx).QueryRowContext(ctx,
		`SELECT `+deviceGrantCols+` FROM device_grants WHERE user_code_hash = ? AND `+unexpired, userCodeHash, now.UnixMicro()))
	if err != nil {
		return storage.DeviceGrant{}, fmt.Errorf("sqlite: get device grant by user code: %w", noRows(err, "device grant"))
	}
	return g, nil
}

// UpdateDeviceGrant applies fn in one (immediate, so serialized)
// transaction. The hashes cannot change.
func (s *Store) UpdateDeviceGrant(ctx context.Context, deviceCodeHash []byte, fn func(storage.DeviceGrant) (storage.DeviceGrant, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := scanDeviceGrant(s.q(ctx).QueryRowContext(ctx,
			`SELECT `+deviceGrantCols+` FROM device_grants WHERE device_code_hash = ?`, deviceCodeHash))
		if err != nil {
			return fmt.Errorf("sqlite: update device grant: %w", noRows(err, "device grant"))
		}
		g, err := fn(old)
		if err != nil {
			return err
		}
		g.DeviceCodeHash, g.UserCodeHash = old.DeviceCodeHash, old.UserCodeHash
		args := deviceGrantArgs(g)[2:]
		_, err = s.exec(ctx, `UPDATE device_grants SET (client_id, scopes, interval_ns, last_polled_at, status,
			user_id, session_id, org_id, idp, amr, auth_time, granted_scopes, created_at, expires_at) = (`+placeholders(14)+`)
			WHERE device_code_hash = ?`, append(args, deviceCodeHash)...)
		if err != nil {
			return fmt.Errorf("sqlite: update device grant: %w", err)
		}
		return nil
	})
}

// DeleteExpiredDeviceGrants removes at most limit grants expired before now.
func (s *Store) DeleteExpiredDeviceGrants(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM device_grants WHERE device_code_hash IN
		(SELECT device_code_hash FROM device_grants WHERE expires_at < ? LIMIT ?)`, now.UnixMicro(), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired device grants: %w", err)
	}
	return int(n), nil
}
