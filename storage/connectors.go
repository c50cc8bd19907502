package storage

import (
	"context"
	"time"
)

// ConnectorRecord is an upstream connector added at run time. Config is its
// settings as JSON without the client secret, which is SealedSecret
// (AEAD-sealed; the provider holds the key).
type ConnectorRecord struct {
	ID           string
	Config       []byte
	SealedSecret []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ConnectorStore keeps run-time connectors.
type ConnectorStore interface {
	// CreateConnector returns ErrAlreadyExists on a taken id.
	CreateConnector(ctx context.Context, c ConnectorRecord) error
	// ListConnectors returns every connector ordered by id.
	ListConnectors(ctx context.Context) ([]ConnectorRecord, error)
	// DeleteConnector returns ErrNotFound.
	DeleteConnector(ctx context.Context, id string) error
}
