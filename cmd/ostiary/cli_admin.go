package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/storage"
)

// The commands here run the admin API's operations through the same
// adminapi.Service the API uses, acting as the operator (cliActor); the
// parity test checks every API route has one.

// withAdmin runs fn with the admin operations over the configured
// database, sessions that end announced over the back channel as
// withPeople does.
func withAdmin(ctx context.Context, e env, cf *commonFlags, fn func(st backend, s *adminapi.Service) error) error {
	return withPeople(ctx, e, cf, func(st backend, p *accounts.People) error {
		return fn(st, newAdminService(st, p))
	})
}

func newAdminService(st backend, p *accounts.People) *adminapi.Service {
	return &adminapi.Service{
		Store:    st,
		People:   p,
		Orgs:     &accounts.Organizations{Store: st, Audit: st, Now: time.Now},
		MFA:      &mfa.Service{Store: st, Now: time.Now}, // Disable needs no sealer
		Audit:    st,
		Notifier: p.Notifier,
		Now:      time.Now,
	}
}

// printDone prints a change's result: JSON as is, text as key=value.
func printDone(e env, cf *commonFlags, out map[string]string) error {
	if cf.output == "json" {
		return printJSON(e.stdout, out)
	}
	parts := make([]string, 0, len(out))
	for _, k := range []string{"client_id", "client_secret", "id", "user_id", "session_id", "org_id", "name", "status"} {
		if v, ok := out[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	fmt.Fprintln(e.stdout, strings.Join(parts, " "))
	return nil
}

func clientsUpdateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "client `id` (required)")
	var (
		patch                                                   adminapi.ClientPatch
		name, logo, policy, tos, backchannel                    string
		firstParty, pkceOptional                                bool
		redirects, postLogout, origins, grants, scope, audience stringList
	)
	fs.StringVar(&name, "name", "", "new display `name`")
	fs.BoolVar(&firstParty, "first-party", false, "first-party (true) skips the consent page; --first-party=false asks again")
	fs.BoolVar(&pkceOptional, "pkce-optional", false, "let the confidential client send no code_challenge (true); --pkce-optional=false requires PKCE again")
	fs.Var(&redirects, "redirect-uri", "redirect `URI` (repeatable; replaces the list)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect `URI` (repeatable; replaces the list)")
	fs.Var(&origins, "cors-origin", "CORS `origin` (repeatable; replaces the list)")
	fs.Var(&grants, "grant-type", "grant type (repeatable; replaces the list)")
	fs.Var(&scope, "scope", "scope (repeatable; replaces the list)")
	fs.Var(&audience, "audience", "audience (repeatable; replaces the list)")
	fs.StringVar(&logo, "logo-uri", "", "logo `URL`")
	fs.StringVar(&policy, "policy-uri", "", "privacy policy `URL`")
	fs.StringVar(&tos, "tos-uri", "", "terms of service `URL`")
	fs.StringVar(&backchannel, "backchannel-logout-uri", "", "back-channel logout `URL`")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		// Only the flags given change anything, as PATCH does.
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "name":
				patch.Name = &name
			case "first-party":
				patch.FirstParty = &firstParty
			case "pkce-optional":
				required := !pkceOptional
				patch.PKCERequired = &required
			case "redirect-uri":
				patch.RedirectURIs = (*[]string)(&redirects)
			case "post-logout-redirect-uri":
				patch.PostLogoutRedirectURIs = (*[]string)(&postLogout)
			case "cors-origin":
				patch.CORSOrigins = (*[]string)(&origins)
			case "grant-type":
				patch.GrantTypes = (*[]string)(&grants)
			case "scope":
				patch.Scopes = (*[]string)(&scope)
			case "audience":
				patch.Audiences = (*[]string)(&audience)
			case "logo-uri":
				patch.LogoURI = &logo
			case "policy-uri":
				patch.PolicyURI = &policy
			case "tos-uri":
				patch.TOSURI = &tos
			case "backchannel-logout-uri":
				patch.BackchannelLogoutURI = &backchannel
			}
		})
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			c, err := s.UpdateClient(ctx, cliActor, *id, patch)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, adminapi.ViewClient(c))
			}
			fmt.Fprintf(e.stdout, "updated client %s\n", c.ID)
			return nil
		})
	}
}

func clientsRotateSecretCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "client `id` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			secret, err := s.RotateClientSecret(ctx, cliActor, *id)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"client_id": *id, "client_secret": secret})
			}
			fmt.Fprintf(e.stdout, "client_id:     %s\nclient_secret: %s\n(the secret is shown only now; the old one no longer works)\n", *id, secret)
			return nil
		})
	}
}

func usersGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
			u, err := s.GetUser(ctx, id)
			if err != nil {
				return err
			}
			v := adminapi.ViewUser(u)
			if cf.output == "json" {
				return printJSON(e.stdout, v)
			}
			return printTable(e.stdout, []string{"FIELD", "VALUE"}, [][]string{
				{"id", v.ID}, {"email", v.Email}, {"name", v.Name}, {"email_verified", yesNo(v.EmailVerified)},
				{"disabled", yesNo(v.Disabled)}, {"admin", yesNo(v.Admin)}, {"created_at", formatTime(v.CreatedAt)},
			})
		})
	}
}

func usersResetMFACommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
			if err := s.ResetMFA(ctx, cliActor, id); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"id": id, "status": "mfa_reset"})
		})
	}
}

func sessionsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
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
		if *user == "" || *session == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
			if err := s.DeleteSession(ctx, cliActor, id, *session); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"user_id": id, "session_id": *session, "status": "ended"})
		})
	}
}

func consentsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
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
		if *user == "" || *client == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			id, err := s.ResolveUser(ctx, *user)
			if err != nil {
				return err
			}
			if err := s.RevokeConsent(ctx, cliActor, id, *client); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"user_id": id, "client_id": *client, "status": "revoked"})
		})
	}
}

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
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
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

func orgsGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			o, err := s.GetOrg(ctx, *org)
			if err != nil {
				return err
			}
			return printOrg(e, cf, o)
		})
	}
}
