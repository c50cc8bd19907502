package storage

import (
	"context"
	"time"
)

// OneTimeToken is an email verification, password reset or invitation token.
type OneTimeToken struct {
	TokenHash []byte
	// Purpose is e.g. "verify_email", "reset_password", "invite".
	Purpose string
	UserID  string
	Email   string
	// Data is purpose-specific JSON (an invitation's org and role).
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OneTimeTokenStore keeps one-time tokens.
type OneTimeTokenStore interface {
	// CreateOneTimeToken stores t and removes every earlier token of the same
	// Purpose and Email, so only the newest works.
	CreateOneTimeToken(ctx context.Context, t OneTimeToken) error
	// ConsumeOneTimeToken removes and returns the token in one step: of
	// concurrent callers one gets it. ErrNotFound when absent, of another
	// purpose, or expired before now.
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (OneTimeToken, error)
	// DeleteOneTimeTokensByUser removes every token of purpose issued to
	// userID (a password change cancels the pending reset links) and
	// returns how many there were.
	DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error)
	// GetOneTimeToken returns the token without consuming it, so a page can
	// show what a link is for before the user acts on it. ErrNotFound as
	// for ConsumeOneTimeToken.
	GetOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (OneTimeToken, error)
}
