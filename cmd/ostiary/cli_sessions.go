package main

import (
	"context"
	"flag"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/adminapi"
)

// The sessions commands: a user's browser sessions.

func sessionsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		return withUser(ctx, e, cf, user, func(svc *provider.Services, id string) error {
			s := svc.Admin
			ss, err := s.ListSessions(ctx, id)
			if err != nil {
				return err
			}
			out := make([]adminapi.SessionView, len(ss))
			rows := make([][]string, len(ss))
			for i, x := range ss {
				out[i] = adminapi.ViewSession(x)
				rows[i] = []string{x.ID, x.IP, formatTime(x.CreatedAt), formatTime(x.LastSeen), x.UserAgent}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"SESSION", "IP", "CREATED", "LAST SEEN", "USER AGENT"}, rows)
		})
	}
}

func sessionsDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	session := fs.String("session", "", "session `id` (required)")
	return func(ctx context.Context, e env) error {
		if *session == "" {
			return errUsage
		}
		return withUser(ctx, e, cf, user, func(svc *provider.Services, id string) error {
			s := svc.Admin
			if err := s.DeleteSession(ctx, cliActor, id, *session); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"user_id": id, "session_id": *session, "status": "ended"})
		})
	}
}
