package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/storage"
)

// The audit commands: the audit log, as the admin API queries it.

func auditListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var f storage.AuditFilter
	fs.StringVar(&f.ActorID, "actor", "", "only events of this actor `id` (@system for the CLI, client:ID for a client)")
	fs.StringVar(&f.SubjectID, "subject", "", "only events about this subject `id`")
	fs.StringVar(&f.Type, "type", "", "only events of this `type`, e.g. client.created")
	since := fs.String("since", "", "only events at or after this RFC 3339 `time`")
	until := fs.String("until", "", "only events before this RFC 3339 `time`")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many events (up to 1000)")
	fs.StringVar(&f.BeforeID, "before", "", "only events older than the event with this `id` (paging)")
	return func(ctx context.Context, e env) error {
		for _, p := range []struct {
			flag, v string
			dst     *time.Time
		}{{"since", *since, &f.Since}, {"until", *until, &f.Until}} {
			if p.v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, p.v)
			if err != nil {
				return fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", p.flag, p.v)
			}
			*p.dst = t
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			events, err := s.ListAudit(ctx, f)
			if err != nil {
				return err
			}
			out := make([]adminapi.AuditView, len(events))
			rows := make([][]string, len(events))
			for i, ev := range events {
				out[i] = adminapi.ViewAudit(ev)
				rows[i] = []string{ev.ID, formatTime(ev.Time), ev.Type, ev.ActorID, ev.SubjectID, ev.ClientID, ev.OrgID}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ID", "TIME", "TYPE", "ACTOR", "SUBJECT", "CLIENT", "ORG"}, rows)
		})
	}
}
