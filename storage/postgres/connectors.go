package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const connectorColumns = `id, config, sealed_secret, created_at, updated_at`

func scanConnector(row pgx.Row) (storage.ConnectorRecord, error) {
	var c storage.ConnectorRecord
	var cfg string
	err := row.Scan(&c.ID, &cfg, scanBytes(&c.SealedSecret), scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt))
	c.Config = []byte(cfg)
	return c, err
}

// CreateConnector returns storage.ErrAlreadyExists on a taken id.
func (s *Store) CreateConnector(ctx context.Context, c storage.ConnectorRecord) error {
	op := fmt.Sprintf("postgres: create connector %q", c.ID)
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO connectors (`+connectorColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, c.ID, string(c.Config), bytesArg(c.SealedSecret), ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, storage.ErrAlreadyExists)
	}
	return nil
}

// ListConnectors returns every connector ordered by id.
func (s *Store) ListConnectors(ctx context.Context) ([]storage.ConnectorRecord, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT `+connectorColumns+` FROM connectors ORDER BY id`)
	if err != nil {
		return nil, dbErr("postgres: list connectors", err)
	}
	out, err := collect(rows, scanConnector)
	if err != nil {
		return nil, dbErr("postgres: list connectors", err)
	}
	return out, nil
}

// DeleteConnector returns storage.ErrNotFound.
func (s *Store) DeleteConnector(ctx context.Context, id string) error {
	return s.execOne(ctx, fmt.Sprintf("postgres: delete connector %q", id), `DELETE FROM connectors WHERE id = $1`, id)
}
