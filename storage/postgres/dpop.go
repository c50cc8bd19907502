package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// UseDPoPProof records jtiHash until expiresAt in one upsert that only
// replaces an expired record: zero rows changed is a replay. Concurrent
// inserts of one hash serialize on the primary key.
func (s *Store) UseDPoPProof(ctx context.Context, jtiHash []byte, now, expiresAt time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO dpop_proofs (jti_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE dpop_proofs.expires_at < $3`,
		jtiHash, ts(expiresAt), ts(now))
	if err != nil {
		return dbErr("postgres: use dpop proof", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: use dpop proof: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// DeleteExpiredDPoPProofs removes at most limit proof records expired before now.
func (s *Store) DeleteExpiredDPoPProofs(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired dpop proofs", "dpop_proofs", "jti_hash",
		`expires_at < $1`, limit, ts(now))
}
