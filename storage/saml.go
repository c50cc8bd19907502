package storage

import (
	"context"
	"time"
)

// SAMLAssertionStore remembers the SAML assertions accepted from upstream
// identity providers until they could no longer be accepted, so one
// replayed to any replica is refused.
type SAMLAssertionStore interface {
	// UseSAMLAssertion records idHash (the SHA-256 of the connector and
	// the assertion's ID) until expiresAt. ErrAlreadyExists when a record
	// of that hash is still unexpired at now: a replay; of concurrent
	// callers with one hash exactly one succeeds. A record that expired
	// before now is replaced.
	UseSAMLAssertion(ctx context.Context, idHash []byte, now, expiresAt time.Time) error
}
