package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider/dcr"
)

// dcrTokenCreateCommand is `dcr token create`: an initial access token for
// RFC 7591 registration, printed once; only its SHA-256 is stored.
func dcrTokenCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	expires := fs.Duration("expires", 24*time.Hour, "how long the token registers clients (0: never expires)")
	return func(ctx context.Context, e env) error {
		if *expires < 0 {
			return errors.New("--expires must not be negative")
		}
		return withStore(ctx, e, cf, func(c Config, st backend) error {
			now := time.Now()
			tok, exp, err := dcr.NewInitialAccessToken(ctx, st, *expires, now)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				out := map[string]any{"initial_access_token": tok, "registration_endpoint": c.Issuer + dcr.PathRegister}
				if !exp.IsZero() {
					out["expires_at"] = exp.UTC().Format(time.RFC3339)
				}
				return printJSON(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "initial_access_token: %s\n", tok)
			if !exp.IsZero() {
				fmt.Fprintf(e.stdout, "expires_at:           %s\n", exp.UTC().Format(time.RFC3339))
			}
			fmt.Fprintln(e.stdout, "(the token is shown only now; it is stored hashed)")
			if !c.DCR.Enabled {
				fmt.Fprintln(e.stderr, "note: dcr.enabled is false; registration stays off until it is turned on")
			}
			return nil
		})
	}
}
