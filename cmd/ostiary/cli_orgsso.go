package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/storage"
)

// withSSOAdmin runs fn with the admin operations on connectors and
// organizations' single sign-on: the same adminapi.Service the API uses
// (so the CLI's changes are audited the same way), over the configured
// connectors and DNS resolver.
func withSSOAdmin(ctx context.Context, e env, cf *commonFlags, fn func(s *adminapi.Service) error) error {
	return withStore(ctx, e, cf, func(c Config, st backend) error {
		system, _, err := c.systemSecrets()
		if err != nil {
			return err
		}
		set, err := provider.NewConnectorRegistry(providerConfig(c, system), st, newLogger(c, e.stderr))
		if err != nil {
			return err
		}
		orgs := &accounts.Organizations{Store: st, Audit: st, Now: time.Now}
		sso := &orgsso.Service{Store: st, Audit: st, Orgs: orgs, Connectors: set, Resolver: orgsso.NewResolver(c.SSO.DNSResolver), Now: time.Now}
		return fn(&adminapi.Service{Store: st, Orgs: orgs, Audit: st, Connectors: set, SSO: sso, Now: time.Now})
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
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
	org := fs.String("org", "", "organization `id` (required)")
	domain := fs.String("domain", "", "email `domain` (required)")
	verified := fs.Bool("verified", false, "mark it verified without the DNS check")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
	org := fs.String("org", "", "organization `id` (required)")
	domain := fs.String("domain", "", "email `domain` (required)")
	operator := fs.Bool("operator", false, "mark it verified without the DNS check")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
	org := fs.String("org", "", "organization `id` (required)")
	domain := fs.String("domain", "", "email `domain` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" || *domain == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
	org := fs.String("org", "", "organization `id` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
	org := fs.String("org", "", "organization `id` (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.DetachOrgSSO(ctx, cliActor, *org); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s has no connector now\n", *org)
			return nil
		})
	}
}

// connectorsListCommand is connectors list: the file's and the run-time
// connectors, never their secrets.
func connectorsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			list, err := s.ListConnectors(ctx)
			if err != nil {
				return err
			}
			out := make([]adminapi.ConnectorView, len(list))
			rows := make([][]string, len(list))
			for i, x := range list {
				out[i] = adminapi.ViewConnector(x)
				rows[i] = []string{x.ID, x.Type, x.Name, x.Issuer, x.Source, yesNo(x.Disabled)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ID", "TYPE", "NAME", "ISSUER", "SOURCE", "DISABLED"}, rows)
		})
	}
}

// connectorsGetCommand is connectors get: one connector, never its secret.
func connectorsGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "connector `id` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			c, err := s.GetConnector(ctx, *id)
			if err != nil {
				return err
			}
			v := adminapi.ViewConnector(c)
			if cf.output == "json" {
				return printJSON(e.stdout, v)
			}
			return printTable(e.stdout, []string{"FIELD", "VALUE"}, [][]string{
				{"id", v.ID}, {"type", v.Type}, {"name", v.Name}, {"client_id", v.ClientID},
				{"issuer", v.Issuer}, {"scopes", strings.Join(v.Scopes, " ")}, {"source", v.Source},
				{"upstream_logout", yesNo(v.UpstreamLogout)}, {"disabled", yesNo(v.Disabled)},
			})
		})
	}
}

// connectorsCreateCommand is connectors create: a run-time connector, its
// client secret read from stdin.
func connectorsCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var c connectors.Config
	fs.StringVar(&c.ID, "id", "", "connector `id` (required)")
	fs.StringVar(&c.Type, "type", connectors.TypeOIDC, "oidc or github")
	fs.StringVar(&c.Name, "name", "", "display `name` (required)")
	fs.StringVar(&c.Icon, "icon", "", "https `URL` of the button's icon")
	fs.StringVar(&c.Issuer, "issuer", "", "OpenID Connect issuer `URL` (oidc)")
	fs.StringVar(&c.ClientID, "client-id", "", "client `id` at the upstream (required)")
	fs.StringVar(&c.BaseURL, "base-url", "", "GitHub `URL` (github)")
	fs.StringVar(&c.APIURL, "api-url", "", "GitHub API `URL` (github)")
	fs.BoolVar(&c.UpstreamLogout, "upstream-logout", false, "continue logout at the upstream")
	var scopes stringList
	fs.Var(&scopes, "scope", "`scope` to ask for (repeatable)")
	fs.StringVar(&c.Claims.Subject, "claim-subject", "", "claim with the subject")
	fs.StringVar(&c.Claims.Email, "claim-email", "", "claim with the email")
	fs.StringVar(&c.Claims.EmailVerified, "claim-email-verified", "", "claim with email_verified")
	fs.StringVar(&c.Claims.Name, "claim-name", "", "claim with the name")
	fs.StringVar(&c.Claims.Groups, "claim-groups", "", "claim with the groups")
	secretStdin := fs.Bool("client-secret-stdin", false, "read the client secret from stdin (required)")
	return func(ctx context.Context, e env) error {
		if c.ID == "" || !*secretStdin {
			return errUsage
		}
		secret, err := readLine(e.stdin)
		if err != nil {
			return fmt.Errorf("read client secret: %w", err)
		}
		c.ClientSecret, c.Scopes = secret, scopes
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if _, err := s.CreateConnector(ctx, cliActor, c); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"id": c.ID})
			}
			fmt.Fprintf(e.stdout, "created connector %s\n", c.ID)
			return nil
		})
	}
}

// connectorsDeleteCommand is connectors delete: a run-time connector.
func connectorsDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("id", "", "connector `id` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withSSOAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.DeleteConnector(ctx, cliActor, *id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted connector %s\n", *id)
			return nil
		})
	}
}

// readLine reads one line from r without its line ending; empty is an error.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("nothing on standard input")
	}
	return line, nil
}
