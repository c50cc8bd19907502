package main

// The apis commands: APIs (resource servers, RFC 8707), through the admin
// API's operations.

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/storage"
)

// scopeList is a repeatable --scope "name=plain words description".
type scopeList []storage.APIScope

func (l *scopeList) String() string { return fmt.Sprint(*l) }

func (l *scopeList) Set(v string) error {
	name, desc, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want name=description, got %q", v)
	}
	*l = append(*l, storage.APIScope{Name: strings.TrimSpace(name), Description: strings.TrimSpace(desc)})
	return nil
}

func apiFlags(fs *flag.FlagSet, sp *adminapi.APISpec, scopes *scopeList, lifespan *time.Duration) {
	fs.StringVar(&sp.Name, "name", "", "display `name` (required)")
	fs.Var(scopes, "scope", "`name=description`: one of the API's scopes and what it allows in plain words (repeatable)")
	fs.DurationVar(lifespan, "access-token-lifespan", 0, "lifespan of access tokens for the API (default the provider's)")
}

func printAPI(e env, cf *commonFlags, a storage.API) error {
	v := adminapi.ViewAPI(a)
	if cf.output == "json" {
		return printJSON(e.stdout, v)
	}
	scopes := make([]string, len(v.Scopes))
	for i, sc := range v.Scopes {
		scopes[i] = sc.Name + "=" + sc.Description
	}
	return printTable(e.stdout, []string{"FIELD", "VALUE"}, [][]string{
		{"identifier", v.Identifier}, {"name", v.Name}, {"scopes", strings.Join(scopes, "; ")},
		{"access_token_lifespan", (time.Duration(v.AccessTokenLifespan) * time.Second).String()},
		{"created_at", formatTime(v.CreatedAt)}, {"updated_at", formatTime(v.UpdatedAt)},
	})
}

func apisCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var (
		sp       adminapi.APISpec
		scopes   scopeList
		lifespan time.Duration
	)
	fs.StringVar(&sp.Identifier, "identifier", "", "the API's `URI` (absolute, no fragment; the aud of its tokens) (required)")
	apiFlags(fs, &sp, &scopes, &lifespan)
	return func(ctx context.Context, e env) error {
		if sp.Identifier == "" || sp.Name == "" {
			return errUsage
		}
		sp.Scopes, sp.AccessTokenLifespan = scopes, int(lifespan/time.Second)
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			a, err := s.CreateAPI(ctx, cliActor, sp)
			if err != nil {
				return err
			}
			return printAPI(e, cf, a)
		})
	}
}

func apisListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			as, err := s.ListAPIs(ctx)
			if err != nil {
				return fmt.Errorf("list apis: %w", err)
			}
			if cf.output == "json" {
				out := make([]adminapi.APIView, len(as))
				for i, a := range as {
					out[i] = adminapi.ViewAPI(a)
				}
				return printJSON(e.stdout, out)
			}
			rows := make([][]string, len(as))
			for i, a := range as {
				rows[i] = []string{a.Identifier, a.Name, fmt.Sprint(len(a.Scopes))}
			}
			return printTable(e.stdout, []string{"IDENTIFIER", "NAME", "SCOPES"}, rows)
		})
	}
}

func apisGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("identifier", "", "the API's `URI` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			a, err := s.GetAPI(ctx, *id)
			if err != nil {
				return err
			}
			return printAPI(e, cf, a)
		})
	}
}

func apisUpdateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var (
		sp       adminapi.APISpec
		scopes   scopeList
		lifespan time.Duration
	)
	id := fs.String("identifier", "", "the API's `URI` (required)")
	apiFlags(fs, &sp, &scopes, &lifespan)
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			// Only the flags given change anything.
			old, err := s.GetAPI(ctx, *id)
			if err != nil {
				return err
			}
			next := adminapi.APISpec{Name: old.Name, Scopes: old.Scopes, AccessTokenLifespan: int(old.AccessTokenLifespan / time.Second)}
			if given["name"] {
				next.Name = sp.Name
			}
			if given["scope"] {
				next.Scopes = scopes
			}
			if given["access-token-lifespan"] {
				next.AccessTokenLifespan = int(lifespan / time.Second)
			}
			a, err := s.UpdateAPI(ctx, cliActor, *id, next)
			if err != nil {
				return err
			}
			return printAPI(e, cf, a)
		})
	}
}

func apisDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	id := fs.String("identifier", "", "the API's `URI` (required)")
	return func(ctx context.Context, e env) error {
		if *id == "" {
			return errUsage
		}
		return withAdmin(ctx, e, cf, func(s *adminapi.Service) error {
			if err := s.DeleteAPI(ctx, cliActor, *id); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"deleted": *id})
			}
			fmt.Fprintf(e.stdout, "deleted API %s\n", *id)
			return nil
		})
	}
}
