package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/randtoken"
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

// dcrTokenListCommand is `dcr token list`: every initial access token by
// its id (a prefix of its hash; the token itself is never stored), with
// when it was made and when it stops working.
func dcrTokenListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withStore(ctx, e, cf, func(c Config, st backend) error {
			ts, err := st.ListInitialAccessTokens(ctx)
			if err != nil {
				return err
			}
			now := time.Now()
			type view struct {
				ID        string     `json:"id"`
				CreatedAt time.Time  `json:"created_at"`
				ExpiresAt *time.Time `json:"expires_at,omitempty"`
				Expired   bool       `json:"expired"`
			}
			views := make([]view, len(ts))
			rows := make([][]string, len(ts))
			for i, t := range ts {
				v := view{ID: dcr.TokenID(t), CreatedAt: t.CreatedAt.UTC(), Expired: !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(now)}
				state := "active"
				if !t.ExpiresAt.IsZero() {
					exp := t.ExpiresAt.UTC()
					v.ExpiresAt = &exp
				}
				if v.Expired {
					state = "expired"
				}
				views[i] = v
				rows[i] = []string{v.ID, formatTime(t.CreatedAt), formatTime(t.ExpiresAt), state}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, views)
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
		return withStore(ctx, e, cf, func(c Config, st backend) error {
			t, err := dcr.RevokeInitialAccessToken(ctx, st, *id)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("no initial access token has the id %s (see 'ostiary dcr token list')", *id)
			}
			if err != nil {
				return err
			}
			tid := dcr.TokenID(t)
			err = st.AppendAudit(ctx, storage.AuditEvent{ID: randtoken.ID(), Time: time.Now().UTC(), Type: "dcr.token_revoked",
				ActorID: accounts.SystemActor, Details: map[string]string{"token_id": tid}})
			if err != nil {
				return fmt.Errorf("token %s revoked, but: %w", tid, err)
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"revoked": tid})
			}
			fmt.Fprintf(e.stdout, "revoked initial access token %s\n", tid)
			return nil
		})
	}
}
