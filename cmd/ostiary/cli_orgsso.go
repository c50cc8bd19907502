package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/storage"
)

// withOrgSSO runs fn with the enterprise single sign-on service over the
// configured connectors and DNS resolver.
func withOrgSSO(ctx context.Context, e env, cf *commonFlags, fn func(st backend, s *orgsso.Service) error) error {
	return withStore(ctx, e, cf, func(c Config, st backend) error {
		set, err := connectors.NewSet(c.Connectors, connectors.Deps{})
		if err != nil {
			return err
		}
		s := &orgsso.Service{Store: st, Orgs: &accounts.Organizations{Store: st, Audit: st, Now: time.Now},
			Connectors: set, Resolver: orgsso.NewResolver(c.SSO.DNSResolver), Now: time.Now}
		return fn(st, s)
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
	org := fs.String("org", "", "organization `id` (required)")
	conn := fs.String("connector", "", "connector `id` from the configuration (required)")
	role := fs.String("default-role", accounts.RoleMember, "`role` of a person who joins by signing in")
	forbid := fs.Bool("forbid-password", false, "refuse password sign-in for the organization's verified domains")
	groups := groupRoles{}
	fs.Var(groups, "group-role", "map an upstream group to a role, `GROUP=ROLE` (repeatable)")
	return func(ctx context.Context, e env) error {
		if *org == "" || *conn == "" {
			return errUsage
		}
		return withOrgSSO(ctx, e, cf, func(_ backend, s *orgsso.Service) error {
			c := storage.OrgConnector{OrgID: *org, ConnectorID: *conn, DefaultRole: *role, ForbidPassword: *forbid, GroupRoles: groups}
			if err := s.Attach(ctx, cliActor, c); err != nil {
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
	org := fs.String("org", "", "organization `id` (required)")
	domain := fs.String("domain", "", "email `domain` (required)")
	verified := fs.Bool("verified", false, "mark it verified without the DNS check")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withOrgSSO(ctx, e, cf, func(_ backend, s *orgsso.Service) error {
			d, err := s.Claim(ctx, cliActor, *org, *domain, *verified)
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

// orgsDomainsVerifyCommand is orgs domains-verify: the DNS TXT check.
func orgsDomainsVerifyCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	domain := fs.String("domain", "", "email `domain` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withOrgSSO(ctx, e, cf, func(_ backend, s *orgsso.Service) error {
			if err := s.VerifyDNS(ctx, cliActor, *org, *domain); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s verified\n", *domain)
			return nil
		})
	}
}

// connectorsListCommand is connectors list: the configured upstreams.
func connectorsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		c, err := loadConfig(cf.config, e.getenv)
		if err != nil {
			return err
		}
		type view struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Name     string `json:"name"`
			Issuer   string `json:"issuer,omitempty"`
			Disabled bool   `json:"disabled"`
		}
		out := make([]view, len(c.Connectors))
		rows := make([][]string, len(c.Connectors))
		for i, x := range c.Connectors {
			out[i] = view{x.ID, x.Type, x.Name, x.Issuer, x.Disabled}
			rows[i] = []string{x.ID, x.Type, x.Name, x.Issuer, yesNo(x.Disabled)}
		}
		if cf.output == "json" {
			return printJSON(e.stdout, out)
		}
		return printTable(e.stdout, []string{"ID", "TYPE", "NAME", "ISSUER", "DISABLED"}, rows)
	}
}
