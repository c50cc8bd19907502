package main

import (
	"context"
	"flag"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/adminapi"
)

// passkeys list and remove: a user's passkeys, through passkey.Service as
// the admin API's listUserPasskeys and removeUserPasskey (audited
// passkey.removed). users reset-mfa removes them all.

func passkeysListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			ps, err := s.Passkeys.List(ctx, id)
			if err != nil {
				return err
			}
			out := make([]adminapi.PasskeyView, len(ps))
			rows := make([][]string, len(ps))
			for i, p := range ps {
				out[i] = adminapi.ViewPasskey(p)
				rows[i] = []string{p.ID, p.Name, out[i].Type, formatTime(p.CreatedAt), formatTime(p.LastUsedAt), yesNo(p.CloneWarning)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"PASSKEY", "NAME", "TYPE", "CREATED", "LAST USED", "CLONE WARNING"}, rows)
		})
	}
}

func passkeysRemoveCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	passkey := fs.String("passkey", "", "passkey `id` (required; passkeys list shows them)")
	return func(ctx context.Context, e env) error {
		if *passkey == "" {
			return errUsage
		}
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			if err := s.Passkeys.Remove(ctx, cliActor, id, *passkey); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"user_id": id, "id": *passkey, "status": "removed"})
		})
	}
}
