package storage

import (
	"context"
	"time"
)

// TOTPFactor is a user's authenticator-app secret.
type TOTPFactor struct {
	UserID string
	// Secret is the shared secret sealed (AEAD) by the caller; the store
	// never sees it in the clear.
	Secret []byte
	// ConfirmedAt is when a correct code activated the factor; zero while the
	// enrollment waits for its first code.
	ConfirmedAt time.Time
	// LastStep is the last TOTP time step whose code was accepted, so the
	// same code (or an older one) is never accepted twice.
	LastStep  int64
	CreatedAt time.Time
}

// MFAChallenge is a half-finished sign-in: the password was right and the
// second factor is still due. The browser holds a random secret whose
// SHA-256 is TokenHash.
type MFAChallenge struct {
	TokenHash []byte
	UserID    string
	// RequestID is the parked authorization request to resume, if any.
	RequestID string
	// ReturnTo is the local path to go to afterwards when there is no request.
	ReturnTo  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MFAStore keeps second factors, recovery codes and pending second-factor
// challenges.
type MFAStore interface {
	// PutTOTP creates or replaces the user's factor (and so drops an
	// earlier one). ErrNotFound if the user does not exist.
	PutTOTP(ctx context.Context, f TOTPFactor) error
	// GetTOTP returns ErrNotFound.
	GetTOTP(ctx context.Context, userID string) (TOTPFactor, error)
	// UpdateTOTP applies fn atomically: of concurrent callers each sees the
	// other's write, so a step recorded by one is seen by the next.
	// ErrNotFound; errors from fn are returned unchanged and nothing changes.
	UpdateTOTP(ctx context.Context, userID string, fn func(TOTPFactor) (TOTPFactor, error)) error
	// DeleteTOTP removes the factor and every recovery code of the user.
	// ErrNotFound when there was no factor.
	DeleteTOTP(ctx context.Context, userID string) error

	// ReplaceRecoveryCodes drops the user's recovery codes and stores the
	// given SHA-256 hashes instead. ErrNotFound if the user does not exist.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error
	// UseRecoveryCode removes the code in one step, so of concurrent callers
	// one gets it. ErrNotFound when absent or used.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte) error
	// CountRecoveryCodes returns how many unused codes the user has.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)

	// CreateMFAChallenge stores c, and removes challenges that expired before
	// c.CreatedAt. ErrAlreadyExists on a taken hash; ErrNotFound if the user
	// does not exist.
	CreateMFAChallenge(ctx context.Context, c MFAChallenge) error
	// GetMFAChallenge returns ErrNotFound, also when expired before now.
	GetMFAChallenge(ctx context.Context, tokenHash []byte, now time.Time) (MFAChallenge, error)
	// DeleteMFAChallenge returns ErrNotFound, so of concurrent callers one
	// wins.
	DeleteMFAChallenge(ctx context.Context, tokenHash []byte) error
}
