package storage

import (
	"context"
	"time"
)

// Identity links a user to an account at an upstream identity provider.
// Issuer and Subject name the upstream account; an email never does.
type Identity struct {
	ID          string
	UserID      string
	ConnectorID string
	Issuer      string
	Subject     string
	// Email is the upstream address when the identity was linked, for display.
	Email     string
	CreatedAt time.Time
}

// IdentityStore keeps linked upstream identities.
type IdentityStore interface {
	// CreateIdentity returns ErrAlreadyExists if the id or (Issuer, Subject)
	// is taken, ErrNotFound if the user does not exist.
	CreateIdentity(ctx context.Context, i Identity) error
	// GetIdentity finds the identity of an upstream account. ErrNotFound.
	GetIdentity(ctx context.Context, issuer, subject string) (Identity, error)
	// ListIdentitiesByUser returns the user's identities, oldest first.
	ListIdentitiesByUser(ctx context.Context, userID string) ([]Identity, error)
	// DeleteIdentity removes the user's identity id. ErrNotFound, also when
	// it belongs to someone else.
	DeleteIdentity(ctx context.Context, userID, id string) error
}
