package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// UseSAMLAssertion records idHash until expiresAt in one upsert that only
// replaces an expired record: zero rows changed is a replay. Concurrent
// inserts of one hash serialize on the primary key.
func (s *Store) UseSAMLAssertion(ctx context.Context, idHash []byte, now, expiresAt time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO saml_assertions (id_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (id_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE saml_assertions.expires_at < $3`,
		idHash, ts(expiresAt), ts(now))
	if err != nil {
		return dbErr("postgres: use saml assertion", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: use saml assertion: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// DeleteExpiredSAMLAssertions removes at most limit assertion records
// expired before now.
func (s *Store) DeleteExpiredSAMLAssertions(ctx context.Context, now time.Time, limit int) (int, error) {
	return s.deleteBatch(ctx, "expired saml assertions", "saml_assertions", "id_hash",
		`expires_at < $1`, limit, ts(now))
}
