package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// positionalFlag names the flag a command's leading bare argument stands
// for: "keys revoke KID" is "keys revoke --kid KID".
var positionalFlag = map[string]string{"keys revoke": "kid"}

// keysRevokeCommand removes a leaked key from the JWKS at once; see
// keys.Manager.Revoke.
func keysRevokeCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	kid := fs.String("kid", "", "the `KID` of the key to revoke (also accepted as the first argument)")
	return func(ctx context.Context, e env) error {
		if *kid == "" {
			return fmt.Errorf("keys revoke: which key? ostiary keys revoke KID (see 'ostiary keys list')")
		}
		return withStore(ctx, e, cf, func(c Config, st backend) error {
			m, err := keyManager(e, c, st)
			if err != nil {
				return err
			}
			r, err := m.Revoke(ctx, *kid)
			if errors.Is(err, keys.ErrUnknownKey) {
				return fmt.Errorf("keys revoke: no key %q in the key set (see 'ostiary keys list')", *kid)
			}
			if err != nil {
				return fmt.Errorf("keys revoke: %w", err)
			}
			details := map[string]string{"kid": r.ID}
			if r.Replacement != "" {
				details["replacement"] = r.Replacement
			}
			if err := st.AppendAudit(ctx, storage.AuditEvent{ID: randtoken.ID(), Time: time.Now().UTC(), Type: "key.revoked",
				ActorID: accounts.SystemActor, Details: details}); err != nil {
				return fmt.Errorf("keys revoke: key %s revoked, but: %w", r.ID, err)
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]any{"kid": r.ID, "replacement": r.Replacement})
			}
			fmt.Fprintf(e.stdout, "revoked key %s: it is no longer published; running servers drop it within keys.refresh_interval (%v)\n",
				r.ID, c.Keys.RefreshInterval)
			if r.Replacement != "" {
				fmt.Fprintf(e.stdout, "key %s signs from now on\n", r.Replacement)
			}
			return nil
		})
	}
}

// keyManager is the key manager serve would use over st.
func keyManager(e env, c Config, st backend) (*keys.Manager, error) {
	system, generated, err := c.systemSecrets()
	if err != nil {
		return nil, err
	}
	logGeneratedSecret(newLogger(c, e.stderr), c, generated)
	return provider.NewKeyManager(providerConfig(c, system), st, newLogger(c, e.stderr))
}

// auditKeyRotated records a rotation made with the CLI.
func auditKeyRotated(ctx context.Context, st storage.AuditStore, k storage.SigningKey) error {
	return st.AppendAudit(ctx, storage.AuditEvent{ID: randtoken.ID(), Time: time.Now().UTC(), Type: "key.rotated",
		ActorID: accounts.SystemActor, Details: map[string]string{"kid": k.ID, "active_from": k.ActiveFrom.Format(time.RFC3339), "trigger": "command"}})
}

// janitorRunCommand runs one janitor pass now, for cron-style use, and
// prints what it removed per table.
func janitorRunCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withStore(ctx, e, cf, func(c Config, st backend) error {
			system, _, err := c.systemSecrets()
			if err != nil {
				return err
			}
			j := provider.NewJanitor(providerConfig(c, system), st, newLogger(c, e.stderr))
			res, err := j.RunOnce(ctx)
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
