package storage

import (
	"context"
	"time"
)

// ScimToken is an organization's SCIM bearer token: its SHA-256 only.
type ScimToken struct {
	OrgID     string
	Hash      []byte
	CreatedBy string
	CreatedAt time.Time
}

// ScimUser is what SCIM provisioning keeps of a user it manages in one
// organization, beyond the user and the membership.
type ScimUser struct {
	OrgID      string
	UserID     string
	ExternalID string
	GivenName  string
	FamilyName string
	// Emails is the client's list of addresses; the account's own address
	// is the userName.
	Emails []ScimEmail
	// Provisioned: SCIM created the user (rather than finding them).
	Provisioned bool
	// Active is the SCIM client's active attribute.
	Active bool
	// Role is the membership's role to restore when an inactive user whose
	// membership was removed is made active again.
	Role      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ScimEmail is one of a SCIM user's addresses (RFC 7643 §4.1.2).
type ScimEmail struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// ScimStore keeps SCIM tokens and users.
type ScimStore interface {
	// PutScimToken stores the organization's one token, replacing any
	// earlier one. ErrNotFound for an unknown organization.
	PutScimToken(ctx context.Context, t ScimToken) error
	// GetScimToken returns ErrNotFound.
	GetScimToken(ctx context.Context, orgID string) (ScimToken, error)
	// DeleteScimToken returns ErrNotFound.
	DeleteScimToken(ctx context.Context, orgID string) error

	// CreateScimUser returns ErrNotFound if the organization or user does
	// not exist, ErrAlreadyExists if the pair has a record.
	CreateScimUser(ctx context.Context, u ScimUser) error
	// GetScimUser returns ErrNotFound.
	GetScimUser(ctx context.Context, orgID, userID string) (ScimUser, error)
	// ListScimUsers returns the organization's records ordered by creation.
	ListScimUsers(ctx context.Context, orgID string) ([]ScimUser, error)
	// ListScimUsersByUser returns the user's records in every organization.
	ListScimUsersByUser(ctx context.Context, userID string) ([]ScimUser, error)
	// UpdateScimUser applies fn atomically; the keys cannot change.
	// ErrNotFound; errors from fn are returned unchanged.
	UpdateScimUser(ctx context.Context, orgID, userID string, fn func(ScimUser) (ScimUser, error)) error
	// DeleteScimUser returns ErrNotFound.
	DeleteScimUser(ctx context.Context, orgID, userID string) error
}
