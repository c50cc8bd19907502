package storage

import (
	"context"
	"time"
)

// API is a registered resource server (RFC 8707): access tokens asked for
// it with resource (or audience) carry its Identifier as aud.
type API struct {
	// Identifier is an absolute URI without a fragment (RFC 8707 §2).
	Identifier string
	// Name is shown to people (consent pages, admin pages).
	Name string
	// Scopes are the API's own scopes, requestable only with it.
	Scopes []APIScope
	// AccessTokenLifespan of tokens for the API; zero is the provider's.
	AccessTokenLifespan time.Duration
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// APIScope is one scope of an API and its plain-words description.
type APIScope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// APIStore keeps the registered APIs.
type APIStore interface {
	// CreateAPI returns ErrAlreadyExists if the identifier is taken.
	CreateAPI(ctx context.Context, a API) error
	// GetAPI returns ErrNotFound.
	GetAPI(ctx context.Context, identifier string) (API, error)
	// ListAPIs returns every API ordered by identifier.
	ListAPIs(ctx context.Context) ([]API, error)
	// UpdateAPI replaces the API's name, scopes and lifespan; ErrNotFound.
	UpdateAPI(ctx context.Context, a API) error
	// DeleteAPI returns ErrNotFound.
	DeleteAPI(ctx context.Context, identifier string) error
}
