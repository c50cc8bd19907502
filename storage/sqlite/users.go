package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/storage"
)

const userCols = `id, email, name, password_hash, email_verified, disabled, admin, attributes, created_at, updated_at`

func scanUser(r rowScanner) (storage.User, error) {
	var u storage.User
	err := r.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.EmailVerified, &u.Disabled, &u.Admin, objectCol{&u.Attributes},
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, err
}

// emailKey is the form under which emails are unique and looked up.
func emailKey(email string) string { return strings.ToLower(email) }

// CreateUser returns storage.ErrAlreadyExists if the id or the email
// (ignoring case) is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	attrs, err := object(u.Attributes)
	if err != nil {
		return fmt.Errorf("sqlite: create user %q: %w", u.ID, err)
	}
	_, err = s.exec(ctx, `INSERT INTO users (`+userCols+`, email_lower) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.EmailVerified, u.Disabled, u.Admin, attrs, ts(u.CreatedAt), ts(u.UpdatedAt), emailKey(u.Email))
	if err != nil {
		return fmt.Errorf("sqlite: create user %q: %w", u.ID, err)
	}
	return nil
}

// GetUser returns storage.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	u, err := scanUser(s.q(ctx).QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return storage.User{}, fmt.Errorf("sqlite: get user: %w", noRows(err, "user %q", id))
	}
	return u, nil
}

// GetUserByEmail matches ignoring case; storage.ErrNotFound.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (storage.User, error) {
	u, err := scanUser(s.q(ctx).QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email_lower = ?`, emailKey(email)))
	if err != nil {
		// The address is not repeated: it is personal data.
		return storage.User{}, fmt.Errorf("sqlite: get user by email: %w", noRows(err, "user"))
	}
	return u, nil
}

// ListUsers returns every user ordered by creation time.
func (s *Store) ListUsers(ctx context.Context) ([]storage.User, error) {
	out, err := queryList(ctx, s, scanUser, `SELECT `+userCols+` FROM users ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return out, nil
}

// UpdateUser applies fn in one transaction. storage.ErrNotFound;
// storage.ErrAlreadyExists if the new email is taken. The id cannot change.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.GetUser(ctx, id)
		if err != nil {
			return err
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		attrs, err := object(u.Attributes)
		if err != nil {
			return fmt.Errorf("sqlite: update user %q: %w", id, err)
		}
		_, err = s.exec(ctx, `UPDATE users SET email = ?, email_lower = ?, name = ?, password_hash = ?, email_verified = ?,
			disabled = ?, admin = ?, attributes = ?, created_at = ?, updated_at = ? WHERE id = ?`,
			u.Email, emailKey(u.Email), u.Name, u.PasswordHash, u.EmailVerified, u.Disabled, u.Admin, attrs, ts(u.CreatedAt), ts(u.UpdatedAt), id)
		if err != nil {
			return fmt.Errorf("sqlite: update user %q: %w", id, err)
		}
		return nil
	})
}

// DeleteUser removes the user; foreign keys cascade to memberships,
// sessions, consents, personal access tokens and one-time tokens.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.execOne(ctx, notFound("user %q", id), `DELETE FROM users WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := s.exec(ctx, `DELETE FROM tokens WHERE subject = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete user: %w", err)
	}
	return nil
}
