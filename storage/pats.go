package storage

import (
	"context"
	"time"
)

// PAT is a personal access token for scripts; only its SHA-256 is stored.
type PAT struct {
	ID        string
	UserID    string
	Name      string
	TokenHash []byte
	Scopes    []string
	CreatedAt time.Time
	// ExpiresAt zero means no expiry.
	ExpiresAt  time.Time
	LastUsedAt time.Time
	// AMR is the amr of the browser session that created the token: an
	// organization requiring a second factor wants "otp" in it.
	AMR []string
}

// PATStore keeps personal access tokens.
type PATStore interface {
	// CreatePAT returns ErrAlreadyExists.
	CreatePAT(ctx context.Context, p PAT) error
	// GetPATByHash returns ErrNotFound, also when expired before now.
	GetPATByHash(ctx context.Context, tokenHash []byte, now time.Time) (PAT, error)
	// ListPATsByUser returns the user's tokens, newest first.
	ListPATsByUser(ctx context.Context, userID string) ([]PAT, error)
	// TouchPAT records a use. ErrNotFound.
	TouchPAT(ctx context.Context, id string, now time.Time) error
	// DeletePAT removes the user's token. ErrNotFound (also when it belongs
	// to someone else).
	DeletePAT(ctx context.Context, userID, id string) error
}
