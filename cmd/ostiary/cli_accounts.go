package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/storage"
)

func usersCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var nu accounts.NewUser
	fs.StringVar(&nu.Email, "email", "", "email `address` (required)")
	fs.StringVar(&nu.Name, "name", "", "display `name`")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
	fs.BoolVar(&nu.Verified, "verified", false, "mark the email address verified")
	fs.BoolVar(&nu.Admin, "admin", false, "make the person an instance administrator")
	return func(ctx context.Context, e env) error {
		if nu.Email == "" || !*passwordStdin {
			return errUsage
		}
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("--password-stdin: no password on standard input")
		}
		nu.Password = strings.TrimRight(line, "\r\n")
		return withStore(ctx, e, cf, func(c Config, st backend) error {
			svc := &accounts.Service{Store: st, Policy: accounts.Policy{MinLength: c.Passwords.MinLength}, Now: time.Now}
			u, err := svc.CreateUser(ctx, nu)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"id": u.ID})
			}
			fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.ID, u.Email)
			return nil
		})
	}
}

func usersListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	email := fs.String("email", "", "only people whose email contains this `text` (case-insensitive)")
	return func(ctx context.Context, e env) error {
		return withAdmin(ctx, e, cf, func(_ backend, s *adminapi.Service) error {
			us, err := s.ListUsers(ctx, *email)
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			type view struct {
				ID            string `json:"id"`
				Email         string `json:"email"`
				Name          string `json:"name"`
				EmailVerified bool   `json:"email_verified"`
				Disabled      bool   `json:"disabled"`
				Admin         bool   `json:"admin"`
				CreatedAt     string `json:"created_at"`
			}
			out := make([]view, len(us))
			rows := make([][]string, len(us))
			for i, u := range us {
				out[i] = view{u.ID, u.Email, u.Name, u.EmailVerified, u.Disabled, u.Admin, formatTime(u.CreatedAt)}
				rows[i] = []string{u.ID, u.Email, u.Name, yesNo(u.EmailVerified), yesNo(u.Disabled), yesNo(u.Admin)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ID", "EMAIL", "NAME", "VERIFIED", "DISABLED", "ADMIN"}, rows)
		})
	}
}

func orgsCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	name := fs.String("name", "", "organization `name` (required)")
	requireMFA := fs.Bool("require-mfa", false, "members must sign in with two-step verification")
	return func(ctx context.Context, e env) error {
		if *name == "" {
			return errUsage
		}
		return withOrgs(ctx, e, cf, func(st backend, orgs *accounts.Organizations) error {
			var o storage.Organization
			// One transaction: an organization never exists without the
			// requirement it was created with.
			err := st.InTx(ctx, func(ctx context.Context) (err error) {
				if o, err = orgs.Create(ctx, cliActor, *name); err != nil || !*requireMFA {
					return err
				}
				o, err = orgs.SetRequireMFA(ctx, cliActor, o.ID, true)
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
		return withStore(ctx, e, cf, func(_ Config, st backend) error {
			os, err := st.ListOrgs(ctx)
			if err != nil {
				return fmt.Errorf("list organizations: %w", err)
			}
			type view struct {
				ID         string `json:"id"`
				Name       string `json:"name"`
				RequireMFA bool   `json:"require_mfa"`
				CreatedAt  string `json:"created_at"`
			}
			out := make([]view, len(os))
			rows := make([][]string, len(os))
			for i, o := range os {
				out[i] = view{o.ID, o.Name, o.RequireMFA, formatTime(o.CreatedAt)}
				rows[i] = []string{o.ID, o.Name, yesNo(o.RequireMFA), formatTime(o.CreatedAt)}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ID", "NAME", "REQUIRE MFA", "CREATED"}, rows)
		})
	}
}

func orgsAddMemberCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	org := fs.String("org", "", "organization `id` (required)")
	user := fs.String("user", "", "user `id` or email (required)")
	role := fs.String("role", accounts.RoleMember, "`role`: owner, admin, member or a custom role")
	return func(ctx context.Context, e env) error {
		if *org == "" || *user == "" {
			return errUsage
		}
		return withOrgs(ctx, e, cf, func(st backend, orgs *accounts.Organizations) error {
			userID, err := resolveUser(ctx, st, *user)
			if err != nil {
				return err
			}
			if err := orgs.AddMember(ctx, cliActor, *org, userID, *role); err != nil {
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

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
