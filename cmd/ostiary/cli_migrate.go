package main

import (
	"context"
	"flag"
	"fmt"
)

// The migrate command: bring the database schema up to date.

func migrateUpCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		c, err := loadConfig(cf.config, e.getenv)
		if err != nil {
			return err
		}
		b, err := openBackend(ctx, c, nil)
		if err != nil {
			return err
		}
		defer b.Close()
		applied, err := b.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if cf.output == "json" {
			return printJSON(e.stdout, map[string]any{"applied": applied})
		}
		for _, name := range applied {
			fmt.Fprintf(e.stdout, "applied %s\n", name)
		}
		fmt.Fprintln(e.stdout, "database schema is current")
		return nil
	}
}
