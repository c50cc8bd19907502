package sqlite

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const connectorCols = `id, config, sealed_secret, created_at, updated_at`

func scanConnector(r rowScanner) (storage.ConnectorRecord, error) {
	var c storage.ConnectorRecord
	var cfg string
	err := r.Scan(&c.ID, &cfg, blobCol{&c.SealedSecret}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	c.Config = []byte(cfg)
	return c, err
}

// CreateConnector returns storage.ErrAlreadyExists on a taken id.
func (s *Store) CreateConnector(ctx context.Context, c storage.ConnectorRecord) error {
	_, err := s.exec(ctx, `INSERT INTO connectors (`+connectorCols+`) VALUES (?, ?, ?, ?, ?)`,
		c.ID, string(c.Config), blob(c.SealedSecret), ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create connector %q: %w", c.ID, err)
	}
	return nil
}

// ListConnectors returns every connector ordered by id.
func (s *Store) ListConnectors(ctx context.Context) ([]storage.ConnectorRecord, error) {
	out, err := queryList(ctx, s, scanConnector, `SELECT `+connectorCols+` FROM connectors ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list connectors: %w", err)
	}
	return out, nil
}

// DeleteConnector returns storage.ErrNotFound.
func (s *Store) DeleteConnector(ctx context.Context, id string) error {
	if err := s.execOne(ctx, notFound("connector %q", id), `DELETE FROM connectors WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete connector: %w", err)
	}
	return nil
}
