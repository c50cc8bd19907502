package storage

import (
	"context"
	"time"
)

// Passkey is a person's WebAuthn credential (a discoverable credential,
// "passkey"). Everything in it is public: the private key never leaves the
// authenticator.
type Passkey struct {
	// ID is our own random id, used in URLs and the audit log.
	ID     string
	UserID string
	// CredentialID is the authenticator's credential id (WebAuthn §4); it
	// is unique across all people.
	CredentialID []byte
	// Credential is the WebAuthn library's credential record (public key,
	// flags, transports, attestation format) as JSON, kept whole so that a
	// newer library version can read what an older one wrote.
	Credential []byte
	// Name is the person's label ("Work laptop").
	Name string
	// AAGUID identifies the authenticator model (zero for many platform
	// authenticators with attestation none).
	AAGUID []byte
	// Attachment is "platform", "cross-platform" or empty when unknown.
	Attachment string
	// SignCount is the last signature counter seen; CloneWarning is set
	// once a counter went backwards (WebAuthn §6.1.1), and stays set.
	SignCount    uint32
	CloneWarning bool
	CreatedAt    time.Time
	// LastUsedAt is zero until the first sign-in with it.
	LastUsedAt time.Time
}

// Purposes of a PasskeyChallenge.
const (
	PasskeyRegister     = "register"
	PasskeySignIn       = "signin"
	PasskeySecondFactor = "second_factor"
)

// PasskeyChallenge is a WebAuthn ceremony in progress: the challenge the
// server sent and what it expects back. The browser holds a random secret
// whose SHA-256 is TokenHash, so any replica can finish the ceremony and
// none can finish it twice.
type PasskeyChallenge struct {
	TokenHash []byte
	// Purpose is one of the Passkey* constants; a challenge is only taken
	// for its own purpose.
	Purpose string
	// UserID is the person the ceremony is for; empty for a passwordless
	// sign-in, where the credential names the person.
	UserID string
	// Session is the WebAuthn library's session data (challenge, allowed
	// credentials, user verification) as JSON.
	Session   []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PasskeyStore keeps passkeys and WebAuthn ceremonies in progress.
type PasskeyStore interface {
	// CreatePasskey stores p. ErrAlreadyExists on a taken id or credential
	// id; ErrNotFound if the user does not exist.
	CreatePasskey(ctx context.Context, p Passkey) error
	// ListPasskeys returns the user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, userID string) ([]Passkey, error)
	// GetPasskeyByCredentialID returns ErrNotFound.
	GetPasskeyByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error)
	// UpdatePasskey applies fn atomically to the user's passkey id (so of two
	// concurrent sign-ins each sees the other's counter). ErrNotFound; errors
	// from fn are returned unchanged and nothing changes. ID, UserID and
	// CredentialID are not changed.
	UpdatePasskey(ctx context.Context, userID, id string, fn func(Passkey) (Passkey, error)) error
	// DeletePasskey removes the user's passkey id; ErrNotFound.
	DeletePasskey(ctx context.Context, userID, id string) error
	// DeletePasskeys removes every passkey of the user and returns how many.
	DeletePasskeys(ctx context.Context, userID string) (int, error)

	// CreatePasskeyChallenge stores c and removes challenges that expired
	// before c.CreatedAt. ErrAlreadyExists on a taken hash.
	CreatePasskeyChallenge(ctx context.Context, c PasskeyChallenge) error
	// TakePasskeyChallenge removes the challenge in one step, so of
	// concurrent callers one gets it, and returns it. ErrNotFound when it
	// was absent, already taken, of another purpose or expired before now;
	// it is removed in those cases too, so an answer to it cannot be tried
	// again.
	TakePasskeyChallenge(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (PasskeyChallenge, error)
}
