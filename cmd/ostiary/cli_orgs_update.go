package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// orgsUpdateCommand changes an organization's settings; for now whether
// its members must sign in with two-step verification.
func orgsUpdateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	requireMFA := fs.String("require-mfa", "", "`true` or false: members must sign in with two-step verification (required)")
	return func(ctx context.Context, e env) error {
		if *org == "" || *requireMFA == "" {
			return errUsage
		}
		on, err := strconv.ParseBool(*requireMFA)
		if err != nil {
			return fmt.Errorf("--require-mfa %q: want true or false: %w", *requireMFA, accounts.ErrInvalid)
		}
		return withOrgs(ctx, e, cf, func(_ backend, orgs *accounts.Organizations) error {
			o, err := orgs.SetRequireMFA(ctx, cliActor, *org, on)
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
