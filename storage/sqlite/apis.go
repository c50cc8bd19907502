package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const apiCols = `identifier, name, scopes, access_token_lifespan, created_at, updated_at`

func scanAPI(r rowScanner) (storage.API, error) {
	var (
		a      storage.API
		scopes string
	)
	if err := r.Scan(&a.Identifier, &a.Name, &scopes, (*int64)(&a.AccessTokenLifespan), timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(scopes), &a.Scopes); err != nil {
		return a, fmt.Errorf("scopes of api %q: %w", a.Identifier, err)
	}
	return a, nil
}

func apiScopes(a storage.API) (string, error) {
	sc := a.Scopes
	if sc == nil {
		sc = []storage.APIScope{}
	}
	b, err := json.Marshal(sc)
	return string(b), err
}

// CreateAPI returns storage.ErrAlreadyExists if the identifier is taken.
func (s *Store) CreateAPI(ctx context.Context, a storage.API) error {
	sc, err := apiScopes(a)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, `INSERT INTO apis (`+apiCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		a.Identifier, a.Name, sc, int64(a.AccessTokenLifespan), ts(a.CreatedAt), ts(a.UpdatedAt)); err != nil {
		return fmt.Errorf("sqlite: create api %q: %w", a.Identifier, err)
	}
	return nil
}

// GetAPI returns storage.ErrNotFound.
func (s *Store) GetAPI(ctx context.Context, identifier string) (storage.API, error) {
	a, err := scanAPI(s.q(ctx).QueryRowContext(ctx, `SELECT `+apiCols+` FROM apis WHERE identifier = ?`, identifier))
	if err != nil {
		return storage.API{}, fmt.Errorf("sqlite: get api: %w", noRows(err, "api %q", identifier))
	}
	return a, nil
}

// ListAPIs returns every API ordered by identifier.
func (s *Store) ListAPIs(ctx context.Context) ([]storage.API, error) {
	out, err := queryList(ctx, s, scanAPI, `SELECT `+apiCols+` FROM apis ORDER BY identifier`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list apis: %w", err)
	}
	return out, nil
}

// UpdateAPI returns storage.ErrNotFound.
func (s *Store) UpdateAPI(ctx context.Context, a storage.API) error {
	sc, err := apiScopes(a)
	if err != nil {
		return err
	}
	if err := s.execOne(ctx, notFound("api %q", a.Identifier), `UPDATE apis SET name = ?, scopes = ?, access_token_lifespan = ?, updated_at = ? WHERE identifier = ?`,
		a.Name, sc, int64(a.AccessTokenLifespan), ts(a.UpdatedAt), a.Identifier); err != nil {
		return fmt.Errorf("sqlite: update api: %w", err)
	}
	return nil
}

// DeleteAPI returns storage.ErrNotFound.
func (s *Store) DeleteAPI(ctx context.Context, identifier string) error {
	if err := s.execOne(ctx, notFound("api %q", identifier), `DELETE FROM apis WHERE identifier = ?`, identifier); err != nil {
		return fmt.Errorf("sqlite: delete api: %w", err)
	}
	return nil
}
