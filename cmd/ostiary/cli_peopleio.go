package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/peopleio"
)

// usersExportCommand is `users export [--out FILE]`: every person as JSON
// Lines, password hashes included.
func usersExportCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	out := fs.String("out", "", "write to this `file` (created 0600) instead of standard output")
	return func(ctx context.Context, e env) error {
		return withStore(ctx, e, cf, func(_ Config, st backend) error {
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
			n, err := peopleio.Export(ctx, st, w)
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
				fmt.Fprintf(e.stdout, "exported %d people to %s\n", n, *out)
				return nil
			}
			fmt.Fprintf(e.stderr, "exported %d people\n", n)
			return nil
		})
	}
}

// usersImportCommand is `users import --format F FILE|-`.
func usersImportCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	format := fs.String("format", peopleio.FormatOstiary, "input format: ostiary, auth0 or cognito")
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
		rows, err := peopleio.Parse(*format, in)
		if err != nil {
			return fmt.Errorf("%s: %w", cf.operand, err)
		}
		return withStore(ctx, e, cf, func(_ Config, st backend) error {
			im := &peopleio.Importer{Store: st, Orgs: &accounts.Organizations{Store: st, Audit: st, Now: time.Now},
				Actor: cliActor, Now: time.Now}
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
