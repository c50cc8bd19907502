package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// ErrInvalid marks input that breaks a rule; a failure made from it
// (ErrInvalid.New) says which, in words for the user (provider/fault).
var ErrInvalid = fault.Sentinel(fault.Invalid, "invalid")

// MinPasswordLength is the default shortest password accepted (NIST SP
// 800-63B §5.1.1 asks for at least 8; we ask for more since there is no
// second factor yet). Policy.MinLength changes it.
const MinPasswordLength = 12

// Built-in organization roles; organizations may define more.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// NewUser is a user to create.
type NewUser struct {
	Email    string
	Name     string
	Password string
	Verified bool
	Admin    bool
}

// CreateUser validates and stores a user. A taken email wraps
// storage.ErrAlreadyExists; a rule broken wraps ErrInvalid.
func (s *Users) CreateUser(ctx context.Context, nu NewUser) (storage.User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return storage.User{}, err
	}
	if err := s.Policy.Check(nu.Password, email); err != nil {
		return storage.User{}, err
	}
	hash, err := password.Hash(nu.Password)
	if err != nil {
		return storage.User{}, fmt.Errorf("hash password: %w", err)
	}
	now := s.Now().UTC()
	u := storage.User{
		ID:            randtoken.ID(),
		Email:         email,
		Name:          strings.TrimSpace(nu.Name),
		PasswordHash:  hash,
		EmailVerified: nu.Verified,
		Admin:         nu.Admin,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return storage.User{}, fmt.Errorf("email %s is already registered: %w", email, err)
		}
		return storage.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// CreateProvisioned stores a user that an organization's directory
// provisions (SCIM): no password (they sign in through the organization's
// single sign-on, or set one with a reset link to their address) and an
// address not yet confirmed by Ostiary. A taken email wraps
// storage.ErrAlreadyExists. The caller audits, in its transaction.
func (s *Users) CreateProvisioned(ctx context.Context, email, name string) (storage.User, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return storage.User{}, err
	}
	name = strings.TrimSpace(name)
	if len([]rune(name)) > 200 {
		return storage.User{}, ErrInvalid.New("Name must be at most 200 characters.")
	}
	now := s.Now().UTC()
	u := storage.User{ID: randtoken.ID(), Email: addr, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return storage.User{}, fmt.Errorf("email %s is already registered: %w", addr, err)
		}
		return storage.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// SetName changes the user's display name, audited in the same
// transaction.
func (p *Users) SetName(ctx context.Context, actor Actor, userID, name string) error {
	name = strings.TrimSpace(name)
	if len([]rune(name)) > 200 {
		return ErrInvalid.New("Name must be at most 200 characters.")
	}
	return p.Store.InTx(ctx, func(ctx context.Context) error {
		changed := false
		err := p.Store.UpdateUser(ctx, userID, func(u storage.User) (storage.User, error) {
			if u.Name != name {
				u.Name, u.UpdatedAt, changed = name, p.Now().UTC(), true
			}
			return u, nil
		})
		if err != nil {
			return fmt.Errorf("user %q: %w", userID, err)
		}
		if !changed {
			return nil
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.name_changed", ActorID: actor.ID, SubjectID: userID, IP: actor.IP})
	})
}

// NormalizeEmail checks that s is one plain address and returns it trimmed
// and lowercased, the form every lookup uses.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", ErrInvalid.Newf("Email %q is not a valid address.", s)
	}
	return strings.ToLower(s), nil
}
