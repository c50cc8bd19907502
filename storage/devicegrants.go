package storage

import (
	"context"
	"time"
)

// DeviceGrantStatus is where a device authorization (RFC 8628) stands.
type DeviceGrantStatus string

const (
	// DeviceGrantPending: the user has not yet approved or denied it.
	DeviceGrantPending DeviceGrantStatus = "pending"
	// DeviceGrantApproved: the user approved it; the next poll gets tokens.
	DeviceGrantApproved DeviceGrantStatus = "approved"
	// DeviceGrantDenied: the user refused it; polls get access_denied.
	DeviceGrantDenied DeviceGrantStatus = "denied"
	// DeviceGrantRedeemed: tokens were issued for it once; it never issues
	// again.
	DeviceGrantRedeemed DeviceGrantStatus = "redeemed"
)

// DeviceGrant is a device authorization request (RFC 8628 §3.1) and what
// became of it. Both codes are bearer secrets and are kept only as SHA-256
// hashes. The fields from UserID on are set when the user approves it: who,
// in which browser session and organization, with which scopes.
type DeviceGrant struct {
	DeviceCodeHash []byte
	UserCodeHash   []byte
	ClientID       string
	// Scopes are the requested scopes.
	Scopes []string
	// Interval is the least time between two polls (RFC 8628 §3.5); a poll
	// sooner adds five seconds to it.
	Interval time.Duration
	// LastPolledAt is the last poll's time; zero before the first.
	LastPolledAt time.Time
	Status       DeviceGrantStatus

	UserID        string
	SessionID     string
	OrgID         string
	IdP           string
	AMR           []string
	AuthTime      time.Time
	GrantedScopes []string

	CreatedAt time.Time
	ExpiresAt time.Time
}

// DeviceGrantStore keeps device authorizations.
type DeviceGrantStore interface {
	// CreateDeviceGrant returns ErrAlreadyExists when either hash is taken.
	CreateDeviceGrant(ctx context.Context, g DeviceGrant) error
	// GetDeviceGrant returns the grant of a device code hash, expired or
	// not (the token endpoint answers expired_token). ErrNotFound.
	GetDeviceGrant(ctx context.Context, deviceCodeHash []byte) (DeviceGrant, error)
	// GetDeviceGrantByUserCode returns ErrNotFound, also when expired
	// before now.
	GetDeviceGrantByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (DeviceGrant, error)
	// UpdateDeviceGrant applies fn atomically: of two concurrent updates of
	// one grant, the second's fn sees the first's result. The hashes
	// cannot change. ErrNotFound.
	UpdateDeviceGrant(ctx context.Context, deviceCodeHash []byte, fn func(DeviceGrant) (DeviceGrant, error)) error
	// DeleteExpiredDeviceGrants removes at most limit grants expired before
	// now and returns how many.
	DeleteExpiredDeviceGrants(ctx context.Context, now time.Time, limit int) (int, error)
}
