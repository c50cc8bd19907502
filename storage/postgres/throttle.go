package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Hit counts one attempt in a single upsert: the row is created with a new
// window, or its count goes up, or (when its window has ended) it starts a
// new window, so concurrent hits from every replica are all counted.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var count int64
	var resetAt time.Time
	err := s.q(ctx).QueryRow(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES ($1, 1, $3)
		ON CONFLICT (key) DO UPDATE SET
			count    = CASE WHEN throttle.reset_at <= $2 THEN 1 ELSE throttle.count + 1 END,
			reset_at = CASE WHEN throttle.reset_at <= $2 THEN excluded.reset_at ELSE throttle.reset_at END
		RETURNING count, reset_at`, key, ts(now), ts(now.Add(window))).Scan(&count, scanTime(&resetAt))
	if err != nil {
		return 0, time.Time{}, dbErr("postgres: throttle hit", err)
	}
	return int(count), resetAt, nil
}

// Peek returns the count of the current window without counting: zero when
// the key has no window containing now.
func (s *Store) Peek(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var count int64
	var resetAt time.Time
	err := s.q(ctx).QueryRow(ctx, `SELECT count, reset_at FROM throttle WHERE key = $1 AND reset_at > $2`,
		key, ts(now)).Scan(&count, scanTime(&resetAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, dbErr("postgres: throttle peek", err)
	}
	return int(count), resetAt, nil
}

// Reset forgets key.
func (s *Store) Reset(ctx context.Context, key string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM throttle WHERE key = $1`, key); err != nil {
		return dbErr("postgres: throttle reset", err)
	}
	return nil
}
