package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// usersSetEmailCommand is users set-email: an operator corrects a person's
// address. It is confirmed only with --verified.
func usersSetEmailCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	email := fs.String("email", "", "the new address (required)")
	verified := fs.Bool("verified", false, "mark the new address as confirmed")
	return func(ctx context.Context, e env) error {
		if *user == "" || *email == "" {
			return errUsage
		}
		addr, err := accounts.NormalizeEmail(*email)
		if err != nil {
			return fmt.Errorf("--email: %w", err)
		}
		return withStore(ctx, e, cf, func(_ Config, st backend) error {
			id, err := resolveUser(ctx, st, *user)
			if err != nil {
				return err
			}
			err = st.UpdateUser(ctx, id, func(u storage.User) (storage.User, error) {
				u.Email, u.EmailVerified, u.UpdatedAt = addr, *verified, time.Now().UTC()
				return u, nil
			})
			if err != nil {
				return fmt.Errorf("set email of %s: %w", id, err)
			}
			_ = st.AppendAudit(ctx, storage.AuditEvent{ID: randtoken.ID(), Time: time.Now(), Type: "user.email_changed",
				ActorID: cliActor.ID, SubjectID: id})
			fmt.Fprintf(e.stdout, "%s now has the address %s\n", id, addr)
			return nil
		})
	}
}

// usersIdentitiesCommand is users identities: the upstream identities
// linked to a person.
func usersIdentitiesCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	user := userFlag(fs)
	return func(ctx context.Context, e env) error {
		if *user == "" {
			return errUsage
		}
		return withStore(ctx, e, cf, func(_ Config, st backend) error {
			id, err := resolveUser(ctx, st, *user)
			if err != nil {
				return err
			}
			ids, err := st.ListIdentitiesByUser(ctx, id)
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
