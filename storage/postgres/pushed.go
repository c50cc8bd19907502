package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const pushedColumns = `key_hash, client_id, form, created_at, expires_at`

// CreatePushedRequest stores p and removes requests that expired before p
// was created, in one transaction. storage.ErrAlreadyExists.
func (s *Store) CreatePushedRequest(ctx context.Context, p storage.PushedRequest) error {
	const op = "postgres: create pushed request"
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		if _, err := q.Exec(ctx, `DELETE FROM pushed_requests WHERE expires_at < $1`, ts(p.CreatedAt)); err != nil {
			return dbErr(op, err)
		}
		tag, err := q.Exec(ctx, `INSERT INTO pushed_requests (`+pushedColumns+`)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			p.KeyHash, p.ClientID, p.Form, ts(p.CreatedAt), ts(p.ExpiresAt))
		if err != nil {
			return dbErr(op, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
		}
		return nil
	})
}

// ConsumePushedRequest removes and returns the request in one DELETE ...
// RETURNING: of concurrent callers only one gets the row. storage.ErrNotFound
// when absent, of another client, or expired before now.
func (s *Store) ConsumePushedRequest(ctx context.Context, keyHash []byte, clientID string, now time.Time) (storage.PushedRequest, error) {
	var p storage.PushedRequest
	err := s.q(ctx).QueryRow(ctx, `DELETE FROM pushed_requests
		WHERE key_hash = $1 AND client_id = $2 AND expires_at >= $3 RETURNING `+pushedColumns,
		keyHash, clientID, ts(now)).Scan(
		scanBytes(&p.KeyHash), &p.ClientID, &p.Form, scanTime(&p.CreatedAt), scanTime(&p.ExpiresAt))
	if err != nil {
		return storage.PushedRequest{}, rowErr("postgres: consume pushed request", err)
	}
	return p, nil
}
