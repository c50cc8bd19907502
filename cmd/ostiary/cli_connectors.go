package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/connectors"
)

// The connectors commands: the upstream identity providers, the file's and
// the run-time ones.

// connectorsListCommand is connectors list: the file's and the run-time
// connectors, never their secrets.
func connectorsListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
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
	fs.StringVar(&c.Type, "type", connectors.TypeOIDC, "oidc, github or saml")
	fs.StringVar(&c.Name, "name", "", "display `name` (required)")
	fs.StringVar(&c.Icon, "icon", "", "https `URL` of the button's icon")
	fs.StringVar(&c.Issuer, "issuer", "", "OpenID Connect issuer `URL` (oidc)")
	fs.StringVar(&c.ClientID, "client-id", "", "client `id` at the upstream (required but for saml)")
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
	fs.StringVar(&c.SAML.MetadataURL, "saml-metadata-url", "", "SAML identity provider's metadata `URL` (saml)")
	metadataFile := fs.String("saml-metadata-file", "", "`file` with the SAML identity provider's metadata (saml)")
	fs.StringVar(&c.SAML.Signed, "saml-signed", "", "signature a SAML response needs: assertion (default), response, both or either")
	fs.BoolVar(&c.SAML.AllowIDPInitiated, "saml-allow-idp-initiated", false, "accept IdP-initiated SAML sign-on")
	secretStdin := fs.Bool("client-secret-stdin", false, "read the client secret from stdin (required but for saml, whose signing key is made)")
	return func(ctx context.Context, e env) error {
		if c.ID == "" || !*secretStdin && c.Type != connectors.TypeSAML {
			return errUsage
		}
		if *secretStdin {
			secret, err := readLine(e.stdin)
			if err != nil {
				return fmt.Errorf("read client secret: %w", err)
			}
			c.ClientSecret = secret
		}
		if *metadataFile != "" {
			md, err := os.ReadFile(*metadataFile)
			if err != nil {
				return fmt.Errorf("read SAML metadata: %w", err)
			}
			c.SAML.MetadataXML = string(md)
		}
		c.Scopes = scopes
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			l, err := s.CreateConnector(ctx, cliActor, c)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, adminapi.ViewConnector(l))
			}
			fmt.Fprintf(e.stdout, "created connector %s\n", c.ID)
			if l.Type == connectors.TypeSAML {
				fmt.Fprintf(e.stdout, "SAML entity id and metadata: %s\nassertion consumer service: %s\n", l.SAMLEntityID, l.SAMLACSURL)
			}
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
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.DeleteConnector(ctx, cliActor, *id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted connector %s\n", *id)
			return nil
		})
	}
}
