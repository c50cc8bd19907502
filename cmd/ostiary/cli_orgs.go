package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/scim"
	"github.com/ostiary/ostiary/storage"
)

// The orgs commands: organizations, their members and roles, and their
// single sign-on (the connector and the email domains they prove).

func orgFlag(fs *flag.FlagSet) *string {
	return fs.String("org", "", "organization `id` (required)")
}

func orgsCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	name := fs.String("name", "", "organization `name` (required)")
	requireMFA := fs.Bool("require-mfa", false, "members must sign in with two-step verification")
	requirePasskey := fs.Bool("require-passkey", false, "members must sign in with a passkey")
	return func(ctx context.Context, e env) error {
		if *name == "" {
			return errUsage
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			var o storage.Organization
			// One transaction: an organization never exists without the
			// requirement it was created with.
			err := s.Store.InTx(ctx, func(ctx context.Context) (err error) {
				if o, err = s.Orgs.Create(ctx, cliActor, *name); err != nil {
					return err
				}
				if *requireMFA {
					if o, err = s.Orgs.SetRequireMFA(ctx, cliActor, o.ID, true); err != nil {
						return err
					}
				}
				if *requirePasskey {
					o, err = s.Orgs.SetRequirePasskey(ctx, cliActor, o.ID, true)
				}
				return err
			})
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"id": o.ID})
			}
			fmt.Fprintf(e.stdout, "created organization %s (%s)\n", o.ID, o.Name)
			return nil
		})
	}
}

func orgsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			os, err := s.Store.ListOrgs(ctx)
			if err != nil {
				return fmt.Errorf("list organizations: %w", err)
			}
			type view struct {
				ID             string `json:"id"`
				Name           string `json:"name"`
				RequireMFA     bool   `json:"require_mfa"`
				RequirePasskey bool   `json:"require_passkey"`
				CreatedAt      string `json:"created_at"`
			}
			out := make([]view, len(os))
			rows := make([][]string, len(os))
			for i, o := range os {
				out[i] = view{o.ID, o.Name, o.RequireMFA, o.RequirePasskey, formatTime(o.CreatedAt)}
				rows[i] = []string{o.ID, o.Name, yesNo(o.RequireMFA), yesNo(o.RequirePasskey), formatTime(o.CreatedAt)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ID", "NAME", "REQUIRE MFA", "REQUIRE PASSKEY", "CREATED"}, rows)
		})
	}
}

func orgsGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			o, err := s.Admin.GetOrg(ctx, *org)
			if err != nil {
				return err
			}
			return printOrg(e, cf, o)
		})
	}
}

// orgsUpdateCommand changes an organization's name and/or whether its
// members must sign in with two-step verification, as PATCH /orgs/{id}.
func orgsUpdateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	name := fs.String("name", "", "new `name`")
	requireMFA := fs.String("require-mfa", "", "`true` or false: members must sign in with two-step verification")
	requirePasskey := fs.String("require-passkey", "", "`true` or false: members must sign in with a passkey")
	return func(ctx context.Context, e env) error {
		if *org == "" || (*requireMFA == "" && *requirePasskey == "" && *name == "") {
			return errUsage
		}
		var patch adminapi.OrgPatch
		if *name != "" {
			patch.Name = name
		}
		for _, f := range []struct {
			flag, value string
			set         **bool
		}{{"--require-mfa", *requireMFA, &patch.RequireMFA}, {"--require-passkey", *requirePasskey, &patch.RequirePasskey}} {
			if f.value == "" {
				continue
			}
			on, err := strconv.ParseBool(f.value)
			if err != nil {
				return fmt.Errorf("%s %q: want true or false: %w", f.flag, f.value, accounts.ErrInvalid)
			}
			*f.set = &on
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			o, err := s.Admin.UpdateOrg(ctx, cliActor, *org, patch)
			if err != nil {
				return err
			}
			return printOrg(e, cf, o)
		})
	}
}

func printOrg(e env, cf *commonFlags, o storage.Organization) error {
	if cf.output == "json" {
		out := map[string]any{"id": o.ID, "name": o.Name, "require_mfa": o.RequireMFA, "require_passkey": o.RequirePasskey}
		if o.Attributes != nil {
			out["attributes"] = o.Attributes
		}
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "organization %s (%s): require MFA %s, require passkey %s\n", o.ID, o.Name, yesNo(o.RequireMFA),
		yesNo(o.RequirePasskey))
	return nil
}

// orgsChange is the shape of every orgs subcommand that changes one thing:
// check the flags, apply, print what changed.
func orgsChange(cf *commonFlags, required []*string, apply func(ctx context.Context, s *provider.Services) (map[string]string, error)) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		for _, r := range required {
			if *r == "" {
				return errUsage
			}
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			out, err := apply(ctx, s)
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

func orgsRenameCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	name := fs.String("name", "", "new `name` (required)")
	return orgsChange(cf, []*string{org, name}, func(ctx context.Context, s *provider.Services) (map[string]string, error) {
		return map[string]string{"org_id": *org, "name": strings.TrimSpace(*name)}, s.Orgs.Rename(ctx, cliActor, *org, *name)
	})
}

func orgsDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	confirm := fs.String("confirm", "", "the organization's exact `name`, to confirm (required)")
	return orgsChange(cf, []*string{org, confirm}, func(ctx context.Context, s *provider.Services) (map[string]string, error) {
		return map[string]string{"org_id": *org, "status": "deleted"}, s.Orgs.Delete(ctx, cliActor, *org, *confirm)
	})
}

func orgsMembersCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			st := s.Store
			if _, err := st.GetOrg(ctx, *org); err != nil {
				return fmt.Errorf("organization %q: %w", *org, err)
			}
			ms, err := st.ListMembersByOrg(ctx, *org)
			if err != nil {
				return fmt.Errorf("list members: %w", err)
			}
			type view struct {
				UserID     string         `json:"user_id"`
				Email      string         `json:"email"`
				Role       string         `json:"role"`
				Attributes map[string]any `json:"attributes,omitempty"`
			}
			out := make([]view, len(ms))
			rows := make([][]string, len(ms))
			for i, m := range ms {
				u, _ := st.GetUser(ctx, m.UserID)
				out[i] = view{m.UserID, u.Email, m.Role, m.Attributes}
				rows[i] = []string{m.UserID, u.Email, m.Role}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"USER", "EMAIL", "ROLE"}, rows)
		})
	}
}

func orgsAddMemberCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	user := userFlag(fs)
	role := fs.String("role", accounts.RoleMember, "`role`: owner, admin, member or a custom role")
	return func(ctx context.Context, e env) error {
		if *org == "" || *user == "" {
			return errUsage
		}
		return withUser(ctx, e, cf, user, func(s *provider.Services, userID string) error {
			if err := s.Orgs.AddMember(ctx, cliActor, *org, userID, *role); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"org_id": *org, "user_id": userID, "role": *role})
			}
			fmt.Fprintf(e.stdout, "added %s to %s as %s\n", userID, *org, *role)
			return nil
		})
	}
}

func orgsSetRoleCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	user := userFlag(fs)
	role := fs.String("role", "", "new `role`: owner, admin, member or a custom role (required)")
	return orgsChange(cf, []*string{org, user, role}, func(ctx context.Context, s *provider.Services) (map[string]string, error) {
		id, err := s.Admin.ResolveUser(ctx, *user)
		if err != nil {
			return nil, err
		}
		return map[string]string{"org_id": *org, "user_id": id, "role": *role}, s.Orgs.SetRole(ctx, cliActor, *org, id, *role)
	})
}

func orgsRemoveMemberCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	user := userFlag(fs)
	return orgsChange(cf, []*string{org, user}, func(ctx context.Context, s *provider.Services) (map[string]string, error) {
		id, err := s.Admin.ResolveUser(ctx, *user)
		if err != nil {
			return nil, err
		}
		return map[string]string{"org_id": *org, "user_id": id, "status": "removed"}, s.Orgs.RemoveMember(ctx, cliActor, *org, id)
	})
}

func orgsRolesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			if _, err := s.Store.GetOrg(ctx, *org); err != nil {
				return fmt.Errorf("organization %q: %w", *org, err)
			}
			roles, err := s.Orgs.Roles(ctx, *org)
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

func orgsAddRoleCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	role := fs.String("role", "", "role `name` (required)")
	desc := fs.String("description", "", "what the role is for")
	return orgsChange(cf, []*string{org, role}, func(ctx context.Context, s *provider.Services) (map[string]string, error) {
		return map[string]string{"org_id": *org, "role": *role, "status": "defined"}, s.Orgs.DefineRole(ctx, cliActor, *org, *role, *desc)
	})
}

func orgsDeleteRoleCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	role := fs.String("role", "", "role `name` (required)")
	return orgsChange(cf, []*string{org, role}, func(ctx context.Context, s *provider.Services) (map[string]string, error) {
		return map[string]string{"org_id": *org, "role": *role, "status": "deleted"}, s.Orgs.DeleteRole(ctx, cliActor, *org, *role)
	})
}

// groupRoles is a repeatable --group-role GROUP=ROLE flag.
type groupRoles map[string]string

func (g groupRoles) String() string { return fmt.Sprint(map[string]string(g)) }

func (g groupRoles) Set(v string) error {
	group, role, ok := strings.Cut(v, "=")
	if !ok || group == "" || role == "" {
		return fmt.Errorf("want GROUP=ROLE, not %q", v)
	}
	g[group] = role
	return nil
}

// orgsSSOSetCommand is orgs sso-set: attach a connector to an organization.
func orgsSSOSetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	conn := fs.String("connector", "", "connector `id` from the configuration (required)")
	role := fs.String("default-role", accounts.RoleMember, "`role` of a user who joins by signing in")
	forbid := fs.Bool("forbid-password", false, "refuse password sign-in for the organization's verified domains")
	groups := groupRoles{}
	fs.Var(groups, "group-role", "map an upstream group to a role, `GROUP=ROLE` (repeatable)")
	return func(ctx context.Context, e env) error {
		if *org == "" || *conn == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			c := storage.OrgConnector{OrgID: *org, ConnectorID: *conn, DefaultRole: *role, ForbidPassword: *forbid, GroupRoles: groups}
			if _, err := s.SetOrgSSO(ctx, cliActor, c); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]any{"org_id": *org, "connector": *conn, "default_role": *role,
					"forbid_password": *forbid, "group_roles": map[string]string(groups)})
			}
			fmt.Fprintf(e.stdout, "%s signs in with %s\n", *org, *conn)
			return nil
		})
	}
}

// orgsDomainsAddCommand is orgs domains-add: claim a domain, verified at
// once with --verified (the operator vouches for it) or later by DNS.
func orgsDomainsAddCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	domain := fs.String("domain", "", "email `domain` (required)")
	verified := fs.Bool("verified", false, "mark it verified without the DNS check")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			d, err := s.AddOrgDomain(ctx, cliActor, *org, *domain, *verified)
			if err != nil {
				return err
			}
			record := orgsso.TXTPrefix + d.Domain
			value := orgsso.TXTValuePrefix + d.Token
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]any{"domain": d.Domain, "verified": !d.VerifiedAt.IsZero(),
					"txt_name": record, "txt_value": value})
			}
			if d.VerifiedAt.IsZero() {
				fmt.Fprintf(e.stdout, "claimed %s; publish a TXT record %s with the value %q, then run orgs domains-verify\n", d.Domain, record, value)
			} else {
				fmt.Fprintf(e.stdout, "claimed %s (verified)\n", d.Domain)
			}
			return nil
		})
	}
}

// orgsDomainsVerifyCommand is orgs domains-verify: the DNS TXT check, or
// with --operator the operator's word.
func orgsDomainsVerifyCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	domain := fs.String("domain", "", "email `domain` (required)")
	operator := fs.Bool("operator", false, "mark it verified without the DNS check")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			d, err := s.VerifyOrgDomain(ctx, cliActor, *org, *domain, *operator)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, adminapi.ViewOrgDomain(d))
			}
			fmt.Fprintf(e.stdout, "%s verified\n", d.Domain)
			return nil
		})
	}
}

// orgsDomainsRemoveCommand is orgs domains-remove: give up a claim.
func orgsDomainsRemoveCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	domain := fs.String("domain", "", "email `domain` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.RemoveOrgDomain(ctx, cliActor, *org, *domain); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s no longer claims %s\n", *org, *domain)
			return nil
		})
	}
}

// orgsSSOGetCommand is orgs sso-get: the connector and the domains with
// the TXT records that prove them.
func orgsSSOGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			set, err := s.OrgSSO(ctx, cliActor, *org)
			if err != nil {
				return err
			}
			v := adminapi.ViewOrgSSO(*org, set)
			if cf.output == "json" {
				return printJSON(e.stdout, v)
			}
			if c := v.Connector; c != nil {
				fmt.Fprintf(e.stdout, "connector: %s, default role %s, forbid password %s, group roles %v\n",
					c.ConnectorID, c.DefaultRole, yesNo(c.ForbidPassword), c.GroupRoles)
			} else {
				fmt.Fprintln(e.stdout, "connector: none")
			}
			rows := make([][]string, len(v.Domains))
			for i, d := range v.Domains {
				rows[i] = []string{d.Domain, yesNo(d.Verified), d.TXTName, d.TXTValue}
			}
			return printTable(e.stdout, []string{"DOMAIN", "VERIFIED", "TXT NAME", "TXT VALUE"}, rows)
		})
	}
}

// orgsSSODetachCommand is orgs sso-detach: the organization no longer
// signs in through its connector; its domains stay claimed.
func orgsSSODetachCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.DetachOrgSSO(ctx, cliActor, *org); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s has no connector now\n", *org)
			return nil
		})
	}
}

// orgsScimTokenCommand makes the organization's SCIM token, replacing the
// one it had, and prints it once with the base URL a directory (Okta,
// Entra ID) is given.
func orgsScimTokenCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withServices(ctx, e, cf, func(c Config, s *provider.Services) error {
			tok, err := s.Provisioning.CreateToken(ctx, cliActor, *org)
			if err != nil {
				return err
			}
			base := strings.TrimSuffix(c.Issuer, "/") + scim.BasePath + "/" + *org
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"base_url": base, "token": tok})
			}
			fmt.Fprintf(e.stdout, "SCIM base URL: %s\nSCIM token (shown once; any earlier token no longer works): %s\n", base, tok)
			return nil
		})
	}
}

// orgsScimTokenRevokeCommand ends the organization's SCIM token at once.
func orgsScimTokenRevokeCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			if err := s.Provisioning.RevokeToken(ctx, cliActor, *org); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s has no SCIM token now\n", *org)
			return nil
		})
	}
}
