package storage

import (
	"context"
	"time"
)

// Consent is a user's remembered grant of scopes to a third-party client.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConsentStore keeps remembered consents.
type ConsentStore interface {
	// PutConsent creates or replaces the consent for (UserID, ClientID).
	PutConsent(ctx context.Context, c Consent) error
	// GetConsent returns ErrNotFound.
	GetConsent(ctx context.Context, userID, clientID string) (Consent, error)
	// ListConsentsByUser returns the user's consents ordered by client id.
	ListConsentsByUser(ctx context.Context, userID string) ([]Consent, error)
	// DeleteConsent returns ErrNotFound.
	DeleteConsent(ctx context.Context, userID, clientID string) error
}
