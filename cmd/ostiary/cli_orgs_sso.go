package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/storage"
)

// The orgs commands of single sign-on: an organization's connector and the
// email domains it proves, through the same admin operations as the API.

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
