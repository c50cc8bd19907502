package storage

import (
	"context"
	"time"
)

// PushedRequest is a pushed authorization request (RFC 9126): the
// parameters a client sent to the pushed authorization request endpoint,
// waiting to be used once at the authorization endpoint.
type PushedRequest struct {
	// KeyHash is the SHA-256 of the request_uri's random part: the
	// request_uri itself is a bearer reference and never stored.
	KeyHash  []byte
	ClientID string
	// Form is the URL-encoded authorization request parameters.
	Form      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PushedRequestStore keeps pushed authorization requests.
type PushedRequestStore interface {
	// CreatePushedRequest stores p (ErrAlreadyExists for a KeyHash in
	// use) and removes requests that expired before p was created: nothing
	// else sweeps them.
	CreatePushedRequest(ctx context.Context, p PushedRequest) error
	// ConsumePushedRequest removes and returns the request of clientID in
	// one step: of concurrent callers one gets it. ErrNotFound when absent,
	// of another client (then it is left as it was), or expired before now.
	ConsumePushedRequest(ctx context.Context, keyHash []byte, clientID string, now time.Time) (PushedRequest, error)
}
