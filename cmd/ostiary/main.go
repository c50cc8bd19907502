// Command ostiary runs and administers the Ostiary OpenID provider. It is the
// only place that reads flags, the environment and files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

const usage = `usage: ostiary [--config FILE] COMMAND [ARGS]

commands:
  serve                              run the provider
  migrate up                         apply pending database migrations
  clients create|list|get|update|delete|rotate-secret
                                     manage OAuth clients
  users create|list|get|disable|enable|reset-mfa|end-sessions|delete|export|import|set-email|identities
                                     manage people
  orgs create|list|get|update|rename|delete|members|add-member|set-role|remove-member|roles|add-role|delete-role
       sso-get|sso-set|sso-detach|domains-add|domains-verify|domains-remove
                                     manage organizations and their single sign-on
  connectors list|get|create|delete  upstream identity providers (the file's and run-time ones)
  keys list|rotate|revoke            manage signing keys
  janitor run                        remove expired rows now
  dcr token create [--expires D]     make an initial access token for client registration
  dcr token list                     initial access tokens by id, with their expiry
  dcr token revoke --id ID           end an initial access token at once
  sessions list|delete               a person's browser sessions
  consents list|revoke               a person's remembered consents
  tokens list|revoke                 a person's personal access tokens
  audit list                         query the audit log

Every command takes --config FILE and --output text|json; run
'ostiary COMMAND SUBCOMMAND -h' for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is what a command may use of its process: tests give their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// errUsage is reported as the usage text, exit code 2.
var errUsage = errors.New("usage")

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	// A --config given before the command applies to it.
	var globalConfig string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "--config" || args[0] == "-config":
			if len(args) < 2 {
				fmt.Fprint(stderr, usage)
				return 2
			}
			globalConfig, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--config="):
			globalConfig, args = strings.TrimPrefix(args[0], "--config="), args[1:]
		case args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
			fmt.Fprint(stdout, usage)
			return 0
		default:
			fmt.Fprint(stderr, usage)
			return 2
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := commandFor(args)
	if cmd == nil {
		fmt.Fprintf(stderr, "ostiary: unknown command %q\n\n%s", strings.Join(args[:min(2, len(args))], " "), usage)
		return 2
	}
	name := args[0]
	rest := args[1:]
	if cmd.sub != "" {
		name += " " + cmd.sub
		rest = args[1+len(strings.Fields(cmd.sub)):]
	}
	fs := flag.NewFlagSet("ostiary "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := &commonFlags{config: globalConfig}
	fs.StringVar(&common.config, "config", globalConfig, "configuration `file` (YAML)")
	fs.StringVar(&common.output, "output", "text", "output format: text or json")
	runFn := cmd.setup(fs, common)
	if f := positionalFlag[name]; f != "" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		rest = append([]string{"--" + f, rest[0]}, rest[1:]...)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// A command with an operand (users import FILE) takes one, and flags may
	// follow it.
	if fs.NArg() > 0 && takesOperand(name) {
		common.operand = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ostiary %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	if common.output != "text" && common.output != "json" {
		fmt.Fprintf(stderr, "ostiary %s: --output must be text or json\n", name)
		return 2
	}
	if err := runFn(ctx, e); err != nil {
		if errors.Is(err, errUsage) {
			fs.Usage()
			return 2
		}
		// One clear line: the joined errors of a config are put on one line
		// each, still one problem a line.
		fmt.Fprintf(stderr, "ostiary %s: %v\n", name, err)
		return 1
	}
	return 0
}

type commonFlags struct {
	config string
	output string
	// operand is the one argument after the flags of a command that takes
	// one (see takesOperand).
	operand string
}

// takesOperand names the commands that read one positional argument.
func takesOperand(name string) bool { return name == "users import" }

// command is one CLI command: setup registers its flags and returns the
// function that runs it once they are parsed.
type command struct {
	name, sub string
	setup     func(fs *flag.FlagSet, c *commonFlags) func(ctx context.Context, e env) error
}

func commandFor(args []string) *command {
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if c.sub == "" {
			return &c
		}
		// A sub-command may be several words ("dcr token create").
		if words := strings.Fields(c.sub); len(args) > len(words) && slices.Equal(words, args[1:1+len(words)]) {
			return &c
		}
	}
	return nil
}

func commands() []command {
	return []command{
		{"serve", "", serveCommand},
		{"migrate", "up", migrateUpCommand},
		{"clients", "create", clientsCreateCommand},
		{"clients", "list", clientsListCommand},
		{"clients", "get", clientsGetCommand},
		{"clients", "delete", clientsDeleteCommand},
		{"clients", "update", clientsUpdateCommand},
		{"clients", "rotate-secret", clientsRotateSecretCommand},
		{"users", "create", usersCreateCommand},
		{"users", "list", usersListCommand},
		{"users", "get", usersGetCommand},
		{"users", "reset-mfa", usersResetMFACommand},
		{"users", "disable", usersStateCommand("disable")},
		{"users", "enable", usersStateCommand("enable")},
		{"users", "end-sessions", usersStateCommand("end-sessions")},
		{"users", "delete", usersDeleteCommand},
		{"users", "export", usersExportCommand},
		{"users", "import", usersImportCommand},
		{"users", "set-email", usersSetEmailCommand},
		{"users", "identities", usersIdentitiesCommand},
		{"orgs", "create", orgsCreateCommand},
		{"orgs", "list", orgsListCommand},
		{"orgs", "get", orgsGetCommand},
		{"orgs", "update", orgsUpdateCommand},
		{"orgs", "add-member", orgsAddMemberCommand},
		{"orgs", "rename", orgsRenameCommand},
		{"orgs", "delete", orgsDeleteCommand},
		{"orgs", "members", orgsMembersCommand},
		{"orgs", "set-role", orgsSetRoleCommand},
		{"orgs", "remove-member", orgsRemoveMemberCommand},
		{"orgs", "roles", orgsRolesCommand},
		{"orgs", "add-role", orgsAddRoleCommand},
		{"orgs", "delete-role", orgsDeleteRoleCommand},
		{"orgs", "sso-set", orgsSSOSetCommand},
		{"orgs", "domains-add", orgsDomainsAddCommand},
		{"orgs", "domains-verify", orgsDomainsVerifyCommand},
		{"orgs", "domains-remove", orgsDomainsRemoveCommand},
		{"orgs", "sso-get", orgsSSOGetCommand},
		{"orgs", "sso-detach", orgsSSODetachCommand},
		{"connectors", "list", connectorsListCommand},
		{"connectors", "get", connectorsGetCommand},
		{"connectors", "create", connectorsCreateCommand},
		{"connectors", "delete", connectorsDeleteCommand},
		{"keys", "list", keysListCommand},
		{"keys", "rotate", keysRotateCommand},
		{"dcr", "token create", dcrTokenCreateCommand},
		{"dcr", "token list", dcrTokenListCommand},
		{"dcr", "token revoke", dcrTokenRevokeCommand},
		{"sessions", "list", sessionsListCommand},
		{"sessions", "delete", sessionsDeleteCommand},
		{"consents", "list", consentsListCommand},
		{"consents", "revoke", consentsRevokeCommand},
		{"tokens", "list", tokensListCommand},
		{"tokens", "revoke", tokensRevokeCommand},
		{"audit", "list", auditListCommand},
		{"keys", "revoke", keysRevokeCommand},
		{"janitor", "run", janitorRunCommand},
	}
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
