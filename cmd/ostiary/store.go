package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// backend is a store that can also bring its schema up to date.
type backend interface {
	storage.Store
	Migrate(ctx context.Context) ([]string, error)
}

// openStore opens the configured database. With migrate set it applies
// pending migrations first (serialized across replicas on PostgreSQL); else
// a schema that is not current is an error telling what to run.
func openStore(ctx context.Context, c Config, migrate bool, log *slog.Logger, tp trace.TracerProvider) (backend, error) {
	b, err := openBackend(ctx, c, tp)
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := b.Migrate(ctx)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		for _, name := range applied {
			log.Info("applied migration", "name", name)
		}
	} else if err := b.Ping(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("database not ready (run 'ostiary migrate up'): %w", err)
	}
	return b, nil
}

// openBackend opens the configured database as it is; a non-nil tp traces
// its statements.
func openBackend(ctx context.Context, c Config, tp trace.TracerProvider) (backend, error) {
	var (
		b   backend
		err error
	)
	switch kind, rest := databaseKind(c.Database); kind {
	case "sqlite":
		b, err = sqlite.Open(ctx, rest, sqlite.WithTracing(tp))
	case "postgres":
		b, err = postgres.Open(ctx, rest, postgres.WithTracing(tp))
	default:
		return nil, fmt.Errorf("database: %q must be sqlite:PATH or a postgres:// URL", c.Database)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return b, nil
}

// quietLogger is the log of what an administrative command does on the
// way to its result (migrating, generating the embedded secret): the
// command prints its result, so at the default level only what goes wrong
// is logged.
func quietLogger(c Config, w io.Writer) *slog.Logger {
	if c.Log.Level == "info" {
		c.Log.Level = "warn"
	}
	return newLogger(c, w)
}

// withStore loads the configuration and runs fn with a migrated store:
// administrative commands bring the schema up to date like serve does.
func withStore(ctx context.Context, e env, cf *commonFlags, fn func(Config, backend) error) error {
	c, err := loadConfig(cf.config, e.getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, true, quietLogger(c, e.stderr), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(c, st)
}
