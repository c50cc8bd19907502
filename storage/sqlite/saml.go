package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// UseSAMLAssertion records idHash until expiresAt in one upsert that only
// replaces an expired record: zero rows changed is a replay.
func (s *Store) UseSAMLAssertion(ctx context.Context, idHash []byte, now, expiresAt time.Time) error {
	n, err := s.exec(ctx, `INSERT INTO saml_assertions (id_hash, expires_at) VALUES (?, ?)
		ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE saml_assertions.expires_at < ?`,
		idHash, expiresAt.UnixMicro(), now.UnixMicro())
	if err != nil {
		return fmt.Errorf("sqlite: use saml assertion: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: use saml assertion: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// DeleteExpiredSAMLAssertions removes at most limit assertion records
// expired before now.
func (s *Store) DeleteExpiredSAMLAssertions(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired saml assertions", "saml_assertions", `expires_at < ?`, limit, now.UnixMicro())
}
