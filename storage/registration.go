package storage

import (
	"context"
	"time"
)

// InitialAccessToken lets its holder register clients while registration
// is protected (RFC 7591 §3). Only its SHA-256 is kept.
type InitialAccessToken struct {
	TokenHash []byte
	CreatedAt time.Time
	// ExpiresAt zero never expires.
	ExpiresAt time.Time
}

// RegistrationStore keeps initial access tokens and the registration access
// token of every dynamically registered client.
type RegistrationStore interface {
	// CreateInitialAccessToken returns ErrAlreadyExists on a taken hash.
	CreateInitialAccessToken(ctx context.Context, t InitialAccessToken) error
	// GetInitialAccessToken returns ErrNotFound, also when expired before now.
	GetInitialAccessToken(ctx context.Context, tokenHash []byte, now time.Time) (InitialAccessToken, error)
	// ListInitialAccessTokens returns every token, expired ones too, oldest
	// first (ties by hash).
	ListInitialAccessTokens(ctx context.Context) ([]InitialAccessToken, error)
	// DeleteInitialAccessToken ends a token at once. ErrNotFound.
	DeleteInitialAccessToken(ctx context.Context, tokenHash []byte) error
	// SetRegistrationToken records (or replaces) the SHA-256 of the client's
	// registration access token. ErrNotFound if the client does not exist.
	// Deleting the client deletes it.
	SetRegistrationToken(ctx context.Context, clientID string, tokenHash []byte) error
	// GetRegistrationToken returns the hash; ErrNotFound when the client has
	// none (it was not registered dynamically, or does not exist).
	GetRegistrationToken(ctx context.Context, clientID string) ([]byte, error)
}
