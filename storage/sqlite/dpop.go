package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// UseDPoPProof records jtiHash until expiresAt in one upsert that only
// replaces an expired record: zero rows changed is a replay.
func (s *Store) UseDPoPProof(ctx context.Context, jtiHash []byte, now, expiresAt time.Time) error {
	n, err := s.exec(ctx, `INSERT INTO dpop_proofs (jti_hash, expires_at) VALUES (?, ?)
		ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE dpop_proofs.expires_at < ?`,
		jtiHash, expiresAt.UnixMicro(), now.UnixMicro())
	if err != nil {
		return fmt.Errorf("sqlite: use dpop proof: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: use dpop proof: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// DeleteExpiredDPoPProofs removes at most limit proof records expired before now.
func (s *Store) DeleteExpiredDPoPProofs(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired dpop proofs", "dpop_proofs", `expires_at < ?`, limit, now.UnixMicro())
}
