package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const pushedCols = `key_hash, client_id, form, created_at, expires_at`

// CreatePushedRequest stores p and removes requests that expired before p
// was created, in one transaction. storage.ErrAlreadyExists.
func (s *Store) CreatePushedRequest(ctx context.Context, p storage.PushedRequest) error {
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `DELETE FROM pushed_requests WHERE expires_at < ?`, ts(p.CreatedAt)); err != nil {
			return err
		}
		_, err := s.exec(ctx, `INSERT INTO pushed_requests (`+pushedCols+`) VALUES (?, ?, ?, ?, ?)`,
			p.KeyHash, p.ClientID, p.Form, ts(p.CreatedAt), ts(p.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create pushed request: %w", err)
	}
	return nil
}

// ConsumePushedRequest removes and returns the request in one statement, so
// of concurrent callers one gets it. storage.ErrNotFound when absent, of
// another client, or expired before now.
func (s *Store) ConsumePushedRequest(ctx context.Context, keyHash []byte, clientID string, now time.Time) (storage.PushedRequest, error) {
	var p storage.PushedRequest
	err := s.q(ctx).QueryRowContext(ctx, `DELETE FROM pushed_requests
		WHERE key_hash = ? AND client_id = ? AND `+unexpired+` RETURNING `+pushedCols, keyHash, clientID, now.UnixMicro()).
		Scan(blobCol{&p.KeyHash}, &p.ClientID, &p.Form, timeCol{&p.CreatedAt}, timeCol{&p.ExpiresAt})
	if err != nil {
		return storage.PushedRequest{}, fmt.Errorf("sqlite: consume pushed request: %w", noRows(err, "pushed request"))
	}
	return p, nil
}
