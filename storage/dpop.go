package storage

import (
	"context"
	"time"
)

// DPoPProofStore remembers the jti of each DPoP proof (RFC 9449 §11.1)
// until the proof could no longer be accepted, so a proof replayed to any
// replica is refused.
type DPoPProofStore interface {
	// UseDPoPProof records jtiHash (the SHA-256 of the proof's jti and
	// what it was presented to) until expiresAt. ErrAlreadyExists when a
	// record of that hash is still unexpired at now: a replay; of
	// concurrent callers with one hash exactly one succeeds. A record that
	// expired before now is replaced.
	UseDPoPProof(ctx context.Context, jtiHash []byte, now, expiresAt time.Time) error
}
