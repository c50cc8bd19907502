package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
)

// The administrative commands run the operations of the domain layer serve
// uses (provider.NewServices), acting as the operator (cliActor); the
// parity test checks every admin API route has a command.

// cliActor is who the audit log names for changes made with the CLI.
var cliActor = accounts.Actor{ID: accounts.SystemActor}

// cliBackchannel bounds a command's back-channel logout deliveries: it
// waits for them before it exits, a few seconds at most.
var cliBackchannel = provider.BackchannelConfig{MaxAttempts: 2, Backoff: time.Second, AttemptTimeout: 5 * time.Second}

// withServices runs fn with the configuration and the domain layer over
// the migrated database, wired as serve wires it: audit events go to the
// database and, as one line each in the log's format, to standard error
// as serve writes them; client writes go through the client-cache invalidation; sessions
// that end are announced to their clients over the back channel.
func withServices(ctx context.Context, e env, cf *commonFlags, fn func(c Config, s *provider.Services) error) error {
	return withStore(ctx, e, cf, func(c Config, st backend) error {
		system, generated, err := c.systemSecrets()
		if err != nil {
			return err
		}
		log := newLogger(c, e.stderr)
		logGeneratedSecret(quietLogger(c, e.stderr), c, generated)
		pc := providerConfig(c, system)
		pc.AuditLog = auditLogger(c, e.stderr)
		pc.Backchannel = cliBackchannel
		s, err := provider.NewServices(pc, st, log)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := fn(c, s); err != nil {
			return err
		}
		s.Notifier.Wait()
		return nil
	})
}

// withAdmin runs fn with the admin API's operations (withServices).
func withAdmin(ctx context.Context, e env, cf *commonFlags, fn func(s *adminapi.Service) error) error {
	return withServices(ctx, e, cf, func(_ Config, s *provider.Services) error { return fn(s.Admin) })
}

func logGeneratedSecret(log *slog.Logger, c Config, generated bool) {
	if generated {
		log.Info("generated the system secret for embedded mode; keep it with the database", "path", c.DataDir+"/secret")
	}
}

// printDone prints a change's result: JSON as is, text as key=value.
func printDone(e env, cf *commonFlags, out map[string]string) error {
	if cf.output == "json" {
		return printJSON(e.stdout, out)
	}
	parts := make([]string, 0, len(out))
	for _, k := range []string{"client_id", "client_secret", "id", "user_id", "session_id", "org_id", "name", "status"} {
		if v, ok := out[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	fmt.Fprintln(e.stdout, strings.Join(parts, " "))
	return nil
}

func userFlag(fs *flag.FlagSet) *string {
	return fs.String("user", "", "user `id` or email (required)")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

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
