package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/storage"
)

// orgsUpdateCommand changes an organization's name and/or whether its
// members must sign in with two-step verification, as PATCH /orgs/{id}.
func orgsUpdateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	name := fs.String("name", "", "new `name`")
	requireMFA := fs.String("require-mfa", "", "`true` or false: members must sign in with two-step verification")
	return func(ctx context.Context, e env) error {
		if *org == "" || (*requireMFA == "" && *name == "") {
			return errUsage
		}
		var patch adminapi.OrgPatch
		if *name != "" {
			patch.Name = name
		}
		if *requireMFA != "" {
			on, err := strconv.ParseBool(*requireMFA)
			if err != nil {
				return fmt.Errorf("--require-mfa %q: want true or false: %w", *requireMFA, accounts.ErrInvalid)
			}
			patch.RequireMFA = &on
		}
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			o, err := s.UpdateOrg(ctx, cliActor, *org, patch)
			if err != nil {
				return err
			}
			return printOrg(e, cf, o)
		})
	}
}

func printOrg(e env, cf *commonFlags, o storage.Organization) error {
	if cf.output == "json" {
		return printJSON(e.stdout, map[string]any{"id": o.ID, "name": o.Name, "require_mfa": o.RequireMFA})
	}
	fmt.Fprintf(e.stdout, "organization %s (%s): require MFA %s\n", o.ID, o.Name, yesNo(o.RequireMFA))
	return nil
}
