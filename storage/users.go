package storage

import (
	"context"
	"time"
)

// User is an account that signs in: a person, with a password, a second
// factor or an upstream identity.
type User struct {
	ID string
	// Email is stored as given, compared case-insensitively; unique.
	Email string
	Name  string
	// PasswordHash is a PHC string (argon2id, or bcrypt from an import);
	// empty when the user has no password.
	PasswordHash  string
	EmailVerified bool
	Disabled      bool
	// Admin marks an instance administrator.
	Admin bool
	// Attributes is the administrator-set JSON object (nil = none), read by
	// claim rules; provider/attributes bounds it.
	Attributes map[string]any
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser returns ErrAlreadyExists if the id or the email (ignoring
	// case) is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByEmail matches ignoring case; ErrNotFound.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers returns every user ordered by creation time.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser applies fn atomically. ErrNotFound; ErrAlreadyExists if the
	// new email is taken; errors from fn are returned unchanged.
	UpdateUser(ctx context.Context, id string, fn func(User) (User, error)) error
	// DeleteUser removes the user and, by cascade, their memberships,
	// sessions, consents, personal access tokens and one-time tokens, and,
	// in the same transaction, the records of every OAuth token issued to
	// them (subject = id), which hold their claims. ErrNotFound.
	DeleteUser(ctx context.Context, id string) error
}
