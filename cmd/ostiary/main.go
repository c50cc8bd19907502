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
	"strings"
	"syscall"
)

const usage = `usage: ostiary [--config FILE] COMMAND [ARGS]

commands:
  serve                              run the provider
  migrate up                         apply pending database migrations
  clients create|list|get|delete     manage OAuth clients
  users create|list|disable|enable|end-sessions|delete
                                     manage people
  orgs create|list|update|rename|delete|members|add-member|set-role|remove-member|roles|add-role|delete-role
                                     manage organizations
  keys list|rotate|revoke            manage signing keys
  janitor run                        remove expired rows now

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
		rest = args[2:]
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
}

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
		if len(args) > 1 && c.sub == args[1] {
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
		{"users", "create", usersCreateCommand},
		{"users", "list", usersListCommand},
		{"users", "disable", usersStateCommand("disable")},
		{"users", "enable", usersStateCommand("enable")},
		{"users", "end-sessions", usersStateCommand("end-sessions")},
		{"users", "delete", usersDeleteCommand},
		{"orgs", "create", orgsCreateCommand},
		{"orgs", "list", orgsListCommand},
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
		{"keys", "list", keysListCommand},
		{"keys", "rotate", keysRotateCommand},
		{"keys", "revoke", keysRevokeCommand},
		{"janitor", "run", janitorRunCommand},
	}
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
