package storage

import (
	"context"
	"time"
)

// AuthRequest is an authorization request parked while the user signs in,
// picks an organization or consents. Form is the request's parameters,
// URL-encoded. The pages record the user's decisions on it and send the
// browser back to the authorization endpoint, which decides what comes next.
type AuthRequest struct {
	ID       string
	ClientID string
	Form     string
	// SessionID is the browser session going through this request. The
	// decisions below count only while the same session presents it.
	SessionID string
	// LoginAt is when the user signed in during this request; it satisfies
	// prompt=login and max_age.
	LoginAt time.Time
	// OrgID is the organization chosen for this request.
	OrgID string
	// ConsentGiven: the user allowed the requested scopes.
	ConsentGiven bool
	// Denied: the user refused; the client gets access_denied.
	Denied bool
	// ACR is the authentication context class (provider/acr) the request
	// waits for when it sent the user to the step-up page: the stronger of
	// the one acr_values asks for and the organization's policy; empty for
	// nothing beyond a sign-in.
	ACR       string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthRequestStore keeps pending authorization requests.
type AuthRequestStore interface {
	// CreateAuthRequest returns ErrAlreadyExists.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest returns ErrNotFound, also when expired before now.
	GetAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	// UpdateAuthRequest applies fn atomically. ErrNotFound.
	UpdateAuthRequest(ctx context.Context, id string, fn func(AuthRequest) (AuthRequest, error)) error
	// DeleteAuthRequest returns ErrNotFound.
	DeleteAuthRequest(ctx context.Context, id string) error
	// DeleteExpiredAuthRequests removes at most limit requests expired
	// before now and returns how many.
	DeleteExpiredAuthRequests(ctx context.Context, now time.Time, limit int) (int, error)
}
