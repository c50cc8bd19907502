package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const apiColumns = `identifier, name, scopes, access_token_lifespan, created_at, updated_at`

func scanAPI(row pgx.Row) (storage.API, error) {
	var (
		a      storage.API
		scopes []byte
	)
	if err := row.Scan(&a.Identifier, &a.Name, &scopes, scanDuration(&a.AccessTokenLifespan), scanTime(&a.CreatedAt), scanTime(&a.UpdatedAt)); err != nil {
		return a, err
	}
	if err := json.Unmarshal(scopes, &a.Scopes); err != nil {
		return a, fmt.Errorf("scopes of api %q: %w", a.Identifier, err)
	}
	return a, nil
}

func apiScopes(a storage.API) ([]byte, error) {
	sc := a.Scopes
	if sc == nil {
		sc = []storage.APIScope{}
	}
	return json.Marshal(sc)
}

// CreateAPI returns storage.ErrAlreadyExists if the identifier is taken.
func (s *Store) CreateAPI(ctx context.Context, a storage.API) error {
	sc, err := apiScopes(a)
	if err != nil {
		return err
	}
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO apis (`+apiColumns+`) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		a.Identifier, a.Name, sc, int64(a.AccessTokenLifespan), ts(a.CreatedAt), ts(a.UpdatedAt))
	if err != nil {
		return dbErr("postgres: create api", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create api %q: %w", a.Identifier, storage.ErrAlreadyExists)
	}
	return nil
}

// GetAPI returns storage.ErrNotFound.
func (s *Store) GetAPI(ctx context.Context, identifier string) (storage.API, error) {
	a, err := scanAPI(s.q(ctx).QueryRow(ctx, `SELECT `+apiColumns+` FROM apis WHERE identifier = $1`, identifier))
	if err != nil {
		return storage.API{}, rowErr(fmt.Sprintf("postgres: get api %q", identifier), err)
	}
	return a, nil
}

// ListAPIs returns every API ordered by identifier.
func (s *Store) ListAPIs(ctx context.Context) ([]storage.API, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT `+apiColumns+` FROM apis ORDER BY identifier`)
	if err != nil {
		return nil, dbErr("postgres: list apis", err)
	}
	out, err := collect(rows, scanAPI)
	if err != nil {
		return nil, dbErr("postgres: list apis", err)
	}
	return out, nil
}

// UpdateAPI returns storage.ErrNotFound.
func (s *Store) UpdateAPI(ctx context.Context, a storage.API) error {
	sc, err := apiScopes(a)
	if err != nil {
		return err
	}
	tag, err := s.q(ctx).Exec(ctx, `UPDATE apis SET name = $2, scopes = $3, access_token_lifespan = $4, updated_at = $5 WHERE identifier = $1`,
		a.Identifier, a.Name, sc, int64(a.AccessTokenLifespan), ts(a.UpdatedAt))
	if err != nil {
		return dbErr("postgres: update api", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: update api %q: %w", a.Identifier, storage.ErrNotFound)
	}
	return nil
}

// DeleteAPI returns storage.ErrNotFound.
func (s *Store) DeleteAPI(ctx context.Context, identifier string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM apis WHERE identifier = $1`, identifier)
	if err != nil {
		return dbErr("postgres: delete api", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete api %q: %w", identifier, storage.ErrNotFound)
	}
	return nil
}
