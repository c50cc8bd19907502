package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/keys"
)

// The keys commands: the signing keys serve uses, and their audit.

// positionalFlag names the flag a command's leading bare argument stands
// for: "keys revoke KID" is "keys revoke --kid KID".
var positionalFlag = map[string]string{"keys revoke": "kid"}

func keysListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			m := s.Keys
			if err := m.Ensure(ctx); err != nil {
				return fmt.Errorf("ensure a signing key: %w", err)
			}
			ks, err := m.List(ctx)
			if err != nil {
				return fmt.Errorf("list keys: %w", err)
			}
			if cf.output == "json" {
				return printJSON(e.stdout, ks)
			}
			rows := make([][]string, len(ks))
			for i, k := range ks {
				rows[i] = []string{k.ID, k.Algorithm, k.State, formatTime(k.CreatedAt), formatTime(k.ActiveFrom), formatTime(k.UnpublishAt)}
			}
			return printTable(e.stdout, []string{"KID", "ALG", "STATE", "CREATED", "SIGNS FROM", "UNPUBLISHED AT"}, rows)
		})
	}
}

func keysRotateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			m := s.Keys
			if err := m.Ensure(ctx); err != nil {
				return fmt.Errorf("ensure a signing key: %w", err)
			}
			ks, err := s.Admin.RotateKeys(ctx, cliActor)
			if err != nil {
				return fmt.Errorf("rotate: %w", err)
			}
			if cf.output == "json" {
				// kid and active_from are the RS256 key's; keys lists each
				// algorithm's new key.
				all := make([]map[string]any, len(ks))
				for i, k := range ks {
					all[i] = map[string]any{"kid": k.ID, "alg": k.Algorithm, "active_from": k.ActiveFrom}
				}
				return printJSON(e.stdout, map[string]any{"kid": ks[0].ID, "active_from": ks[0].ActiveFrom, "keys": all})
			}
			for _, k := range ks {
				fmt.Fprintf(e.stdout, "published %s key %s; it signs from %s (until then the current key does)\n", k.Algorithm, k.ID, formatTime(k.ActiveFrom))
			}
			return nil
		})
	}
}

// keysRevokeCommand removes a leaked key from the JWKS at once; see
// keys.Manager.Revoke.
func keysRevokeCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	kid := fs.String("kid", "", "the `KID` of the key to revoke (also accepted as the first argument)")
	return func(ctx context.Context, e env) error {
		if *kid == "" {
			return fmt.Errorf("keys revoke: which key? ostiary keys revoke KID (see 'ostiary keys list')")
		}
		return withServices(ctx, e, cf, func(c Config, s *provider.Services) error {
			r, err := s.Admin.RevokeKey(ctx, cliActor, *kid)
			if errors.Is(err, keys.ErrUnknownKey) {
				return fmt.Errorf("keys revoke: no key %q in the key set (see 'ostiary keys list')", *kid)
			}
			if err != nil {
				return fmt.Errorf("keys revoke: %w", err)
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
