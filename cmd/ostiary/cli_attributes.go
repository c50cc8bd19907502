package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/attributes"
)

// The set-attributes commands of users and orgs: the same rules as the
// admin API's PATCH (accounts.Users.SetAttributes and friends).

type attributeFlags struct {
	json    *string
	replace *bool
}

func attributesFlags(fs *flag.FlagSet) attributeFlags {
	return attributeFlags{
		json:    fs.String("json", "", "a JSON `object`: an RFC 7396 merge patch of the attributes (null removes a key), or with --replace the whole new object (required)"),
		replace: fs.Bool("replace", false, "replace the attributes with --json instead of merging it in"),
	}
}

func (f attributeFlags) change() (accounts.AttributeChange, error) {
	if *f.json == "null" {
		return accounts.AttributeChange{Replace: true}, nil
	}
	m, err := attributes.Parse([]byte(*f.json))
	if err != nil {
		return accounts.AttributeChange{}, err
	}
	return accounts.AttributeChange{Value: m, Replace: *f.replace}, nil
}

// attributesCommand runs set, which changes one record's attributes and
// returns them, and prints the result.
func attributesCommand(cf *commonFlags, af attributeFlags, required []*string,
	set func(ctx context.Context, s *provider.Services, c accounts.AttributeChange) (map[string]any, error)) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		for _, r := range append(required, af.json) {
			if *r == "" {
				return errUsage
			}
		}
		c, err := af.change()
		if err != nil {
			return err
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			out, err := set(ctx, s, c)
			if err != nil {
				return err
			}
			if out == nil {
				out = map[string]any{}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]any{"attributes": out})
			}
			fmt.Fprintln(e.stdout, attributes.Format(out))
			return nil
		})
	}
}

func usersSetAttributesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	af := attributesFlags(fs)
	return attributesCommand(cf, af, []*string{user}, func(ctx context.Context, s *provider.Services, c accounts.AttributeChange) (map[string]any, error) {
		id, err := s.Admin.ResolveUser(ctx, *user)
		if err != nil {
			return nil, err
		}
		u, err := s.Users.SetAttributes(ctx, cliActor, id, c)
		return u.Attributes, err
	})
}

func orgsSetAttributesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	af := attributesFlags(fs)
	return attributesCommand(cf, af, []*string{org}, func(ctx context.Context, s *provider.Services, c accounts.AttributeChange) (map[string]any, error) {
		o, err := s.Orgs.SetAttributes(ctx, cliActor, *org, c)
		return o.Attributes, err
	})
}

func orgsSetMemberAttributesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := orgFlag(fs)
	user := userFlag(fs)
	af := attributesFlags(fs)
	return attributesCommand(cf, af, []*string{org, user}, func(ctx context.Context, s *provider.Services, c accounts.AttributeChange) (map[string]any, error) {
		id, err := s.Admin.ResolveUser(ctx, *user)
		if err != nil {
			return nil, err
		}
		m, err := s.Orgs.SetMemberAttributes(ctx, cliActor, *org, id, c)
		return m.Attributes, err
	})
}
