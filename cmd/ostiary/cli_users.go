package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/userio"
)

// The users commands: accounts, their state, and moving them in and out.

func usersCreateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	var nu accounts.NewUser
	fs.StringVar(&nu.Email, "email", "", "email `address` (required)")
	fs.StringVar(&nu.Name, "name", "", "display `name`")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
	fs.BoolVar(&nu.Verified, "verified", false, "mark the email address verified")
	fs.BoolVar(&nu.Admin, "admin", false, "make the user an instance administrator")
	return func(ctx context.Context, e env) error {
		if nu.Email == "" || !*passwordStdin {
			return errUsage
		}
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("--password-stdin: no password on standard input")
		}
		nu.Password = strings.TrimRight(line, "\r\n")
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			u, err := s.Users.CreateUser(ctx, nu)
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
	email := fs.String("email", "", "only users whose email contains this `text` (case-insensitive)")
	return func(ctx context.Context, e env) error {
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			us, err := s.Admin.ListUsers(ctx, *email)
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

// withUser runs fn with the id of the user --user names (an id or an
// email address, as the admin API accepts).
func withUser(ctx context.Context, e env, cf *commonFlags, user *string, fn func(s *provider.Services, id string) error) error {
	if *user == "" {
		return errUsage
	}
	return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
		id, err := s.Admin.ResolveUser(ctx, *user)
		if err != nil {
			return err
		}
		return fn(s, id)
	})
}

func usersGetCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			u, err := s.Admin.GetUser(ctx, id)
			if err != nil {
				return err
			}
			v := adminapi.ViewUser(u)
			if cf.output == "json" {
				return printJSON(e.stdout, v)
			}
			return printTable(e.stdout, []string{"FIELD", "VALUE"}, [][]string{
				{"id", v.ID}, {"email", v.Email}, {"name", v.Name}, {"email_verified", yesNo(v.EmailVerified)},
				{"disabled", yesNo(v.Disabled)}, {"admin", yesNo(v.Admin)}, {"created_at", formatTime(v.CreatedAt)},
			})
		})
	}
}

func usersResetMFACommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			if err := s.Admin.ResetMFA(ctx, cliActor, id); err != nil {
				return err
			}
			return printDone(e, cf, map[string]string{"id": id, "status": "mfa_reset"})
		})
	}
}

// usersStateCommand is users disable, enable and end-sessions: one user,
// one change, one line of output.
func usersStateCommand(verb string) func(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
		user := userFlag(fs)
		return func(ctx context.Context, e env) error {
			return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
				var err error
				result := map[string]any{"id": id}
				switch verb {
				case "disable":
					err = s.Users.Disable(ctx, cliActor, id)
				case "enable":
					err = s.Users.Enable(ctx, cliActor, id)
				case "end-sessions":
					var n int
					n, err = s.Admin.EndSessions(ctx, cliActor, id)
					result["sessions_ended"] = n
				}
				if err != nil {
					return err
				}
				if cf.output == "json" {
					return printJSON(e.stdout, result)
				}
				fmt.Fprintf(e.stdout, "%s: %s done\n", id, verb)
				return nil
			})
		}
	}
}

func usersDeleteCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	yes := fs.Bool("yes", false, "confirm: the user and their personal data are removed for good")
	return func(ctx context.Context, e env) error {
		if *user != "" && !*yes {
			return errors.New("deleting a user cannot be undone: add --yes to confirm")
		}
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			if err := s.Users.Delete(ctx, cliActor, id); err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]string{"id": id, "deleted": "true"})
			}
			fmt.Fprintf(e.stdout, "deleted user %s\n", id)
			return nil
		})
	}
}

// usersSetEmailCommand is users set-email: an operator corrects a user's
// address. It is confirmed only with --verified.
func usersSetEmailCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	email := fs.String("email", "", "the new address (required)")
	verified := fs.Bool("verified", false, "mark the new address as confirmed")
	return func(ctx context.Context, e env) error {
		if *user == "" || *email == "" {
			return errUsage
		}
		if _, err := accounts.NormalizeEmail(*email); err != nil {
			return fmt.Errorf("--email: %w", err)
		}
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			addr, err := s.Users.SetEmail(ctx, cliActor, id, *email, *verified)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s now has the address %s\n", id, addr)
			return nil
		})
	}
}

// usersIdentitiesCommand is users identities: the upstream identities
// linked to a user.
func usersIdentitiesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		return withUser(ctx, e, cf, user, func(s *provider.Services, id string) error {
			ids, err := s.Store.ListIdentitiesByUser(ctx, id)
			if err != nil {
				return fmt.Errorf("list identities: %w", err)
			}
			type view struct {
				ID        string `json:"id"`
				Connector string `json:"connector"`
				Issuer    string `json:"issuer"`
				Subject   string `json:"subject"`
				Email     string `json:"email"`
				CreatedAt string `json:"created_at"`
			}
			out := make([]view, len(ids))
			rows := make([][]string, len(ids))
			for i, x := range ids {
				out[i] = view{x.ID, x.ConnectorID, x.Issuer, x.Subject, x.Email, formatTime(x.CreatedAt)}
				rows[i] = []string{x.ID, x.ConnectorID, x.Issuer, x.Subject, x.Email}
			}
			if cf.output == "json" {
				return printJSON(e.stdout, out)
			}
			return printTable(e.stdout, []string{"ID", "CONNECTOR", "ISSUER", "SUBJECT", "EMAIL"}, rows)
		})
	}
}

// usersExportCommand is `users export [--out FILE]`: every user as JSON
// Lines, password hashes included.
func usersExportCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	out := fs.String("out", "", "write to this `file` (created 0600) instead of standard output")
	return func(ctx context.Context, e env) error {
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			w := e.stdout
			var f *os.File
			if *out != "" {
				var err error
				// The file holds password hashes: owner-only from the start.
				f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			n, err := userio.Export(ctx, s.Store, w)
			if err != nil {
				return err
			}
			if f != nil {
				if err := f.Close(); err != nil {
					return err
				}
				if cf.output == "json" {
					return printJSON(e.stdout, map[string]int{"exported": n})
				}
				fmt.Fprintf(e.stdout, "exported %d users to %s\n", n, *out)
				return nil
			}
			fmt.Fprintf(e.stderr, "exported %d users\n", n)
			return nil
		})
	}
}

// usersImportCommand is `users import --format F FILE|-`.
func usersImportCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	format := fs.String("format", userio.FormatOstiary, "input format: ostiary, auth0 or cognito")
	return func(ctx context.Context, e env) error {
		if cf.operand == "" {
			fmt.Fprintln(e.stderr, "ostiary users import: name a FILE, or - for standard input")
			return errUsage
		}
		var in io.Reader = e.stdin
		if cf.operand != "-" {
			f, err := os.Open(cf.operand)
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		rows, err := userio.Parse(*format, in)
		if err != nil {
			return fmt.Errorf("%s: %w", cf.operand, err)
		}
		return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error {
			im := &userio.Importer{Store: s.Store, Audit: s.Audit, Orgs: s.Orgs, Actor: cliActor,
				Attributes: s.Users.Attributes, Now: time.Now}
			rep, err := im.Import(ctx, rows)
			if err != nil {
				return err
			}
			for _, re := range rep.Errors {
				fmt.Fprintf(e.stderr, "line %d: %s\n", re.Line, re.Err)
			}
			if cf.output == "json" {
				if err := printJSON(e.stdout, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(e.stdout, rep.Summary())
			}
			if rep.Failed > 0 {
				return errors.New(rep.Summary())
			}
			return nil
		})
	}
}
