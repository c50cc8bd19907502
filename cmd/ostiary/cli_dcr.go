package main

// The dcr commands: initial access tokens for dynamic client registration.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/storage"
)

// dcrTokenCreateCommand is `dcr token create`: an initial access token for
// RFC 7591 registration, printed once; only its SHA-256 is stored.
func dcrTokenCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	expires := fs.Duration("expires", 24*time.Hour, "how long the token registers clients (0: never expires)")
	return func(ctx context.Context, e env) error {
		if *expires < 0 {
			return errors.New("--expires must not be negative")
		}
		return withServices(ctx, e, cf, func(c Config, svc *provider.Services) error {
			s := svc.Admin
			tok, v, err := s.NewDCRToken(ctx, cliActor, *expires)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				out := map[string]any{"initial_access_token": tok, "id": v.ID, "registration_endpoint": c.Issuer + dcr.PathRegister}
				if v.ExpiresAt != nil {
					out["expires_at"] = v.ExpiresAt.Format(time.RFC3339)
				}
				return printJSON(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "initial_access_token: %s\n", tok)
			fmt.Fprintf(e.stdout, "id:                   %s\n", v.ID)
			if v.ExpiresAt != nil {
				fmt.Fprintf(e.stdout, "expires_at:           %s\n", v.ExpiresAt.Format(time.RFC3339))
			}
			fmt.Fprintln(e.stdout, "(the token is shown only now; it is stored hashed)")
			if !c.DCR.Enabled {
				fmt.Fprintln(e.stderr, "note: dcr.enabled is false; registration stays off until it is turned on")
			}
			return nil
		})
	}
}

// dcrTokenListCommand is `dcr token list`: every initial access token by
// its id (a prefix of its hash; the token itself is never stored), with
// when it was made and when it stops working.
func dcrTokenListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			views, err := s.ListDCRTokens(ctx)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, views)
			}
			rows := make([][]string, len(views))
			for i, v := range views {
				state, expires := "active", "-"
				if v.ExpiresAt != nil {
					expires = formatTime(*v.ExpiresAt)
				}
				if v.Expired {
					state = "expired"
				}
				rows[i] = []string{v.ID, formatTime(v.CreatedAt), expires, state}
			}
			return printTable(e.stdout, []string{"ID", "CREATED", "EXPIRES", "STATE"}, rows)
		})
	}
}

// dcrTokenRevokeCommand is `dcr token revoke --id ID`: ends a token at
// once (one that leaked, or was made with --expires 0). Clients it
// registered stay; delete them with `clients delete`.
func dcrTokenRevokeCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "the token's `id` from 'dcr token list' (at least its first 6 characters)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			tid, err := s.RevokeDCRToken(ctx, cliActor, *id)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("no initial access token has the id %s (see 'ostiary dcr token list')", *id)
			}
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"revoked": tid})
			}
			fmt.Fprintf(e.stdout, "revoked initial access token %s\n", tid)
			return nil
		})
	}
}
