package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/ostiary/ostiary/provider"
)

// The janitor command: one sweep of expired rows, for cron-style use.

// janitorRunCommand runs one janitor pass now, for cron-style use, and
// prints what it removed per table.
func janitorRunCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			res, err := s.Janitor.RunOnce(ctx)
			if cf.output == "json" {
				if perr := printJSON(e.stdout, res); perr != nil {
					return perr
				}
			} else if res.Skipped {
				fmt.Fprintln(e.stdout, "skipped: another janitor is running a pass (it holds the lease)")
			} else {
				rows := make([][]string, len(res.Removed))
				for i, r := range res.Removed {
					rows[i] = []string{r.Table, strconv.Itoa(r.Rows), strconv.Itoa(r.Batches)}
				}
				if perr := printTable(e.stdout, []string{"TABLE", "REMOVED", "BATCHES"}, rows); perr != nil {
					return perr
				}
				fmt.Fprintf(e.stdout, "removed %d rows in %s\n", res.Total(), res.Took)
			}
			if err != nil {
				return fmt.Errorf("janitor run: %w", err)
			}
			return nil
		})
	}
}
