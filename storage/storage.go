package storage

import (
	"context"
	"errors"
)

// Sentinel errors. Backends wrap them with context; callers test with errors.Is.
var (
	// ErrNotFound: no record with that key, or the record has expired where the
	// method says expired records count as absent.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a record with that key (or unique field) exists already.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict: a compare-and-swap lost a race, or the change would break an
	// invariant (for example, removing the last owner of an organization).
	ErrConflict = errors.New("storage: conflict")
	// ErrInactive: the record exists but was invalidated (a used code, a rotated
	// refresh token). Methods that return it say so.
	ErrInactive = errors.New("storage: inactive")
	// ErrUnavailable: the database could not serve the request now (not
	// reachable, shutting down or starting, refusing writes, out of
	// connections); the same request may succeed later. Any method may
	// return it. Callers answer 503 with Retry-After and log it; it says
	// nothing about the caller's input or credentials.
	ErrUnavailable = errors.New("storage: database unavailable")
)

// RetryAfterUnavailable is the Retry-After, in seconds, of every 503 that
// ErrUnavailable becomes (RFC 9110 §10.2.3): long enough for a restart or
// failover to be noticed, short enough that a client does not give up.
const RetryAfterUnavailable = "2"

// Store is every concern together: what a backend implements and what cmd/
// hands to the provider. Packages should accept the narrowest interface they
// use rather than Store.
type Store interface {
	ClientStore
	UserStore
	OrgStore
	SessionStore
	AuthRequestStore
	DeviceGrantStore
	DPoPProofStore
	SAMLAssertionStore
	ConsentStore
	TokenStore
	KeyStore
	PATStore
	OneTimeTokenStore
	PushedRequestStore
	MailStore
	AuditStore
	AuditForwardStore
	ThrottleStore
	MFAStore
	PasskeyStore
	RegistrationStore
	IdentityStore
	OrgSSOStore
	ScimStore
	APIStore
	ConnectorStore
	CleanupStore
	LeaseStore
	Transactor

	// Ping reports whether the database answers and its migrations are current.
	Ping(ctx context.Context) error
	// Close releases the database handle.
	Close() error
}
