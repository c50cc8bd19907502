package main

import (
	"context"
	"flag"
	"strings"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/adminapi"
)

// The consents commands: the consents a user remembers giving clients.

func consentsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		return withUser(ctx, e, cf, user, func(svc *provider.Services, id string) error {
			s := svc.Admin
			cs, err := s.ListConsents(ctx, id)
			if err != nil {
				return err
			}
			out := make([]adminapi.ConsentView, len(cs))
			rows := make([][]string, len(cs))
			for i, c := range cs {
				out[i] = adminapi.ViewConsent(c)
				rows[i] = []string{c.ClientID, strings.Join(c.Scopes, " "), formatTime(c.UpdatedAt)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"CLIENT", "SCOPES", "GIVEN"}, rows)
		})
	}
}

func consentsRevokeCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	client := fs.String("client", "", "client `id` (required)")
	return func(ctx context.Context, e env) error {
		if *client == "" {
			return errUsage
		}
		return withUser(ctx, e, cf, user, func(svc *provider.Services, id string) error {
			s := svc.Admin
			if err := s.RevokeConsent(ctx, cliActor, id, *client); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"user_id": id, "client_id": *client, "status": "revoked"})
		})
	}
}
