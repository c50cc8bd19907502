package main

import (
	"context"
	"flag"
	"strconv"
	"strings"

	"github.com/ostiary/ostiary/provider/adminapi"
)

// tokens list and revoke: a user's personal access tokens, through the
// same adminapi.Service operations as the admin API (listUserTokens,
// revokeUserToken).

func tokensListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
			ts, err := s.ListTokens(ctx, id)
			if err != nil {
				return err
			}
			out := make([]adminapi.TokenView, len(ts))
			rows := make([][]string, len(ts))
			for i, t := range ts {
				out[i] = adminapi.ViewToken(t)
				rows[i] = []string{t.ID, t.Name, strings.Join(t.Scopes, " "), formatTime(t.CreatedAt), formatTime(t.LastUsedAt), formatTime(t.ExpiresAt)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"TOKEN", "NAME", "SCOPES", "CREATED", "LAST USED", "EXPIRES"}, rows)
		})
	}
}

func tokensRevokeCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	token := fs.String("token", "", "personal access token `id` (required)")
	return func(ctx context.Context, e env) error {
		if *user == "" || *token == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
			n, err := s.RevokeToken(ctx, cliActor, id, *token)
			if err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"user_id": id, "id": *token, "status": "revoked",
				"tokens_deactivated": strconv.Itoa(n)})
		})
	}
}
