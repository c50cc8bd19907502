package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Hit counts one attempt for key in one upsert: a window that has ended
// (reset_at at or before now) starts over.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, errors.New("sqlite: throttle hit: the window must be positive")
	}
	var count int
	var reset int64
	err := s.q(ctx).QueryRowContext(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES (?1, 1, ?2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN throttle.reset_at <= ?3 THEN 1 ELSE throttle.count + 1 END,
			reset_at = CASE WHEN throttle.reset_at <= ?3 THEN ?2 ELSE throttle.reset_at END
		RETURNING count, reset_at`, key, now.Add(window).UnixMicro(), now.UnixMicro()).Scan(&count, &reset)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: throttle hit: %w", wrapDB(err))
	}
	return count, time.UnixMicro(reset).UTC(), nil
}

// Peek returns the count of the current window without counting; zero
// when the key is unknown or its window has ended.
func (s *Store) Peek(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var count int
	var reset int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT count, reset_at FROM throttle WHERE key = ? AND reset_at > ?`,
		key, now.UnixMicro()).Scan(&count, &reset)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: throttle peek: %w", wrapDB(err))
	}
	return count, time.UnixMicro(reset).UTC(), nil
}

// Reset forgets key.
func (s *Store) Reset(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM throttle WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: throttle reset: %w", err)
	}
	return nil
}
