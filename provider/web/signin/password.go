package signin

import (
	"context"
	"errors"
	"fmt"

	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// PasswordStore is what Passwords reads and writes.
type PasswordStore interface {
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
}

// Passwords checks a password sign-in, the one way every page does it
// (login, and proving an account before linking an upstream sign-in).
type Passwords struct {
	Site  *page.Site
	Store PasswordStore
}

// Check verifies email and pw. It spends one password hash whatever
// happens, so timing does not tell a known address from an unknown one. A
// non-empty reason is why the sign-in is refused (for the audit log only);
// user is set when the address is known.
func (p *Passwords) Check(ctx context.Context, email, pw string) (user storage.User, reason string, err error) {
	user, err = p.Store.GetUserByEmail(ctx, email)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		password.VerifyDummy(pw)
		return storage.User{}, "unknown_user", nil
	case err != nil:
		return storage.User{}, "", fmt.Errorf("signin: look up user: %w", err)
	case user.PasswordHash == "":
		password.VerifyDummy(pw)
		return user, "no_password", nil
	case len(pw) > MaxPasswordLen:
		password.VerifyDummy(pw[:MaxPasswordLen])
		return user, "password_too_long", nil
	}
	ok, rehash, err := password.Verify(user.PasswordHash, pw)
	if err != nil {
		// The stored hash is unusable; an admin must reset it. Spend the time
		// a good hash would have cost.
		p.Site.Logger().ErrorContext(ctx, "stored password hash unusable", "user_id", user.ID, "err", err)
		password.VerifyDummy(pw)
		return user, "bad_hash", nil
	}
	if !ok {
		return user, "bad_password", nil
	}
	if user.Disabled {
		return user, "disabled", nil
	}
	if rehash {
		p.rehash(ctx, user, pw)
	}
	return user, "", nil
}

// rehash replaces a bcrypt or weaker argon2id hash after a successful
// sign-in. Failing to is not worth failing the sign-in over.
func (p *Passwords) rehash(ctx context.Context, user storage.User, pw string) {
	h, err := password.Hash(pw)
	if err == nil {
		err = p.Store.UpdateUser(ctx, user.ID, func(u storage.User) (storage.User, error) {
			// Someone changed the password meanwhile: theirs wins.
			if u.PasswordHash == user.PasswordHash {
				u.PasswordHash = h
				u.UpdatedAt = p.Site.Now()
			}
			return u, nil
		})
	}
	if err != nil {
		p.Site.Logger().WarnContext(ctx, "password rehash failed", "user_id", user.ID, "err", err)
	}
}
