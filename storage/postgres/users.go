package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

// emailKey is the unique, case-insensitive form of an address. Lowercasing
// in Go rather than with lower() in SQL keeps the key independent of the
// database's collation, and identical between backends.
func emailKey(email string) string { return strings.ToLower(email) }

const userColumns = `id, email, name, password_hash, email_verified, disabled, admin, attributes, created_at, updated_at`

func scanUser(row pgx.Row) (storage.User, error) {
	var u storage.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.EmailVerified, &u.Disabled, &u.Admin, scanObject(&u.Attributes),
		scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt))
	return u, err
}

// CreateUser returns storage.ErrAlreadyExists if the id or the email
// (ignoring case) is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	attrs, err := object(u.Attributes)
	if err != nil {
		return fmt.Errorf("postgres: create user %q: %w", u.ID, err)
	}
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO users (`+userColumns+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.EmailVerified, u.Disabled, u.Admin, attrs, ts(u.CreatedAt), ts(u.UpdatedAt),
		emailKey(u.Email))
	if err != nil {
		return dbErr("postgres: create user", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create user %q: id or email taken: %w", u.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// GetUser returns storage.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	u, err := scanUser(s.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return storage.User{}, rowErr(fmt.Sprintf("postgres: get user %q", id), err)
	}
	return u, nil
}

// GetUserByEmail matches ignoring case; storage.ErrNotFound.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (storage.User, error) {
	u, err := scanUser(s.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1`, emailKey(email)))
	if err != nil {
		// The address is personal data; keep it out of the error.
		return storage.User{}, rowErr("postgres: get user by email", err)
	}
	return u, nil
}

// ListUsers returns every user ordered by creation time.
func (s *Store) ListUsers(ctx context.Context) ([]storage.User, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY created_at NULLS FIRST, id`)
	if err != nil {
		return nil, dbErr("postgres: list users", err)
	}
	out, err := collect(rows, scanUser)
	if err != nil {
		return nil, dbErr("postgres: list users", err)
	}
	return out, nil
}

// UpdateUser applies fn under a row lock. storage.ErrNotFound;
// storage.ErrAlreadyExists if the new email is taken; errors from fn come
// back unchanged.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error {
	op := fmt.Sprintf("postgres: update user %q", id)
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		old, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return rowErr(op, err)
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		key := emailKey(u.Email)
		if key != emailKey(old.Email) {
			// Checked first so that a taken address does not abort the
			// caller's transaction with a unique violation. A concurrent
			// taker still hits the index, which dbErr maps the same way.
			var taken bool
			if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email_key = $1)`, key).Scan(&taken); err != nil {
				return dbErr(op, err)
			}
			if taken {
				return fmt.Errorf("%s: email taken: %w", op, storage.ErrAlreadyExists)
			}
		}
		attrs, err := object(u.Attributes)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		_, err = q.Exec(ctx, `UPDATE users SET email = $2, email_key = $3, name = $4, password_hash = $5,
			email_verified = $6, disabled = $7, admin = $8, attributes = $9, created_at = $10, updated_at = $11 WHERE id = $1`,
			id, u.Email, key, u.Name, u.PasswordHash, u.EmailVerified, u.Disabled, u.Admin, attrs, ts(u.CreatedAt), ts(u.UpdatedAt))
		if err != nil {
			return dbErr(op, err)
		}
		return nil
	})
}

// DeleteUser removes the user; the schema's ON DELETE CASCADE removes their
// memberships, sessions, consents, personal access tokens and one-time
// tokens in the same statement. storage.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	// One statement: the token records go only if the user did.
	var deleted bool
	err := s.q(ctx).QueryRow(ctx, `WITH u AS (DELETE FROM users WHERE id = $1 RETURNING id),
		t AS (DELETE FROM tokens WHERE subject IN (SELECT id FROM u))
		SELECT EXISTS (SELECT 1 FROM u)`, id).Scan(&deleted)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: delete user %q", id), err)
	}
	if !deleted {
		return notFound(fmt.Sprintf("postgres: delete user %q", id))
	}
	return nil
}
