package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/backchannel"
)

// cliActor is who the audit log names for changes made with the CLI.
var cliActor = accounts.Actor{ID: accounts.SystemActor}

// resolveUser accepts a user id or an email address, as the admin API does.
func resolveUser(ctx context.Context, st backend, ref string) (string, error) {
	return (&adminapi.Service{Store: st}).ResolveUser(ctx, ref)
}

// withPeople runs fn with the people rules over st; sessions that end are
// announced to their clients over the back channel, and the command waits
// (a few seconds at most) for those deliveries before it exits.
func withPeople(ctx context.Context, e env, cf *commonFlags, fn func(st backend, p *accounts.People) error) error {
	return withStore(ctx, e, cf, func(c Config, st backend) error {
		system, _, err := c.systemSecrets()
		if err != nil {
			return err
		}
		log := newLogger(c, e.stderr)
		pc := providerConfig(c, system)
		km, err := provider.NewKeyManager(pc, st, log)
		if err != nil {
			return err
		}
		egress, err := provider.OutboundClient(pc)
		if err != nil {
			return err
		}
		n := &backchannel.Notifier{Clients: st, Tokens: st, Signer: km, Issuer: c.Issuer, HTTP: egress,
			Logger: log, MaxAttempts: 2, Backoff: time.Second, AttemptTimeout: 5 * time.Second}
		defer n.Close()
		p := &accounts.People{Store: st, Audit: st, Notifier: n, Now: time.Now}
		if err := fn(st, p); err != nil {
			return err
		}
		n.Wait()
		return nil
	})
}

func userFlag(fs *flag.FlagSet) *string {
	return fs.String("user", "", "user `id` or email (required)")
}

// usersStateCommand is users disable, enable and end-sessions: one user,
// one change, one line of output.
func usersStateCommand(verb string) func(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
		user := userFlag(fs)
		return func(ctx context.Context, e env) error {
			if *user == "" {
				return errUsage
			}
			return withPeople(ctx, e, cf, func(st backend, p *accounts.People) error {
				id, err := resolveUser(ctx, st, *user)
				if err != nil {
					return err
				}
				result := map[string]any{"id": id}
				switch verb {
				case "disable":
					err = p.Disable(ctx, cliActor, id)
				case "enable":
					err = p.Enable(ctx, cliActor, id)
				case "end-sessions":
					var n int
					n, err = newAdminService(st, p).EndSessions(ctx, cliActor, id)
					result["sessions_ended"] = n
				}
				if err != nil {
					return err
				}
				if cf.output == "json" {
					return printJSON(e.stdout, result)
				}
				fmt.Fprintf(e.stdout, "%s: %s done\n", id, verb)
				return nil
			})
		}
	}
}

func usersDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	yes := fs.Bool("yes", false, "confirm: the person and their personal data are removed for good")
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		if !*yes {
			return errors.New("deleting a person cannot be undone: add --yes to confirm")
		}
		return withPeople(ctx, e, cf, func(st backend, p *accounts.People) error {
			id, err := resolveUser(ctx, st, *user)
			if err != nil {
				return err
			}
			if err := p.Delete(ctx, cliActor, id); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"id": id, "deleted": "true"})
			}
			fmt.Fprintf(e.stdout, "deleted user %s\n", id)
			return nil
		})
	}
}

// withOrgs runs fn with the organization rules over st, acting as the
// operator (an owner everywhere).
func withOrgs(ctx context.Context, e env, cf *commonFlags, fn func(st backend, o *accounts.Organizations) error) error {
	return withStore(ctx, e, cf, func(_ Config, st backend) error {
		return fn(st, &accounts.Organizations{Store: st, Audit: st, Now: time.Now})
	})
}

// orgsChange is the shape of every orgs subcommand that changes one thing:
// check the flags, apply, print what changed.
func orgsChange(cf *commonFlags, required []*string, apply func(ctx context.Context, st backend, o *accounts.Organizations) (map[string]string, error)) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		for _, r := range required {
			if *r == "" {
				return errUsage
			}
		}
		return withOrgs(ctx, e, cf, func(st backend, o *accounts.Organizations) error {
			out, err := apply(ctx, st, o)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			parts := make([]string, 0, len(out))
			for _, k := range []string{"org_id", "user_id", "role", "name", "status"} {
				if v, ok := out[k]; ok {
					parts = append(parts, k+"="+v)
				}
			}
			fmt.Fprintln(e.stdout, strings.Join(parts, " "))
			return nil
		})
	}
}

func orgsSetRoleCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	user := userFlag(fs)
	role := fs.String("role", "", "new `role`: owner, admin, member or a custom role (required)")
	return orgsChange(cf, []*string{org, user, role}, func(ctx context.Context, st backend, o *accounts.Organizations) (map[string]string, error) {
		id, err := resolveUser(ctx, st, *user)
		if err != nil {
			return nil, err
		}
		return map[string]string{"org_id": *org, "user_id": id, "role": *role}, o.SetRole(ctx, cliActor, *org, id, *role)
	})
}

func orgsRemoveMemberCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	user := userFlag(fs)
	return orgsChange(cf, []*string{org, user}, func(ctx context.Context, st backend, o *accounts.Organizations) (map[string]string, error) {
		id, err := resolveUser(ctx, st, *user)
		if err != nil {
			return nil, err
		}
		return map[string]string{"org_id": *org, "user_id": id, "status": "removed"}, o.RemoveMember(ctx, cliActor, *org, id)
	})
}

func orgsRenameCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	name := fs.String("name", "", "new `name` (required)")
	return orgsChange(cf, []*string{org, name}, func(ctx context.Context, _ backend, o *accounts.Organizations) (map[string]string, error) {
		return map[string]string{"org_id": *org, "name": strings.TrimSpace(*name)}, o.Rename(ctx, cliActor, *org, *name)
	})
}

func orgsDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	confirm := fs.String("confirm", "", "the organization's exact `name`, to confirm (required)")
	return orgsChange(cf, []*string{org, confirm}, func(ctx context.Context, _ backend, o *accounts.Organizations) (map[string]string, error) {
		return map[string]string{"org_id": *org, "status": "deleted"}, o.Delete(ctx, cliActor, *org, *confirm)
	})
}

func orgsAddRoleCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	role := fs.String("role", "", "role `name` (required)")
	desc := fs.String("description", "", "what the role is for")
	return orgsChange(cf, []*string{org, role}, func(ctx context.Context, _ backend, o *accounts.Organizations) (map[string]string, error) {
		return map[string]string{"org_id": *org, "role": *role, "status": "defined"}, o.DefineRole(ctx, cliActor, *org, *role, *desc)
	})
}

func orgsDeleteRoleCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	role := fs.String("role", "", "role `name` (required)")
	return orgsChange(cf, []*string{org, role}, func(ctx context.Context, _ backend, o *accounts.Organizations) (map[string]string, error) {
		return map[string]string{"org_id": *org, "role": *role, "status": "deleted"}, o.DeleteRole(ctx, cliActor, *org, *role)
	})
}

func orgsMembersCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withStore(ctx, e, cf, func(_ Config, st backend) error {
			if _, err := st.GetOrg(ctx, *org); err != nil {
				return fmt.Errorf("organization %q: %w", *org, err)
			}
			ms, err := st.ListMembersByOrg(ctx, *org)
			if err != nil {
				return fmt.Errorf("list members: %w", err)
			}
			type view struct {
				UserID string `json:"user_id"`
				Email  string `json:"email"`
				Role   string `json:"role"`
			}
			out := make([]view, len(ms))
			rows := make([][]string, len(ms))
			for i, m := range ms {
				u, _ := st.GetUser(ctx, m.UserID)
				out[i] = view{m.UserID, u.Email, m.Role}
				rows[i] = []string{m.UserID, u.Email, m.Role}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"USER", "EMAIL", "ROLE"}, rows)
		})
	}
}

func orgsRolesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withOrgs(ctx, e, cf, func(st backend, o *accounts.Organizations) error {
			if _, err := st.GetOrg(ctx, *org); err != nil {
				return fmt.Errorf("organization %q: %w", *org, err)
			}
			roles, err := o.Roles(ctx, *org)
			if err != nil {
				return err
			}
			type view struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				BuiltIn     bool   `json:"built_in"`
			}
			out := make([]view, len(roles))
			rows := make([][]string, len(roles))
			for i, r := range roles {
				out[i] = view{r.Name, r.Description, r.BuiltIn}
				rows[i] = []string{r.Name, yesNo(r.BuiltIn), r.Description}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ROLE", "BUILT-IN", "DESCRIPTION"}, rows)
		})
	}
}
