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
				fmt.Fprint(stderr, usage())
				return 2
			}
			globalConfig, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--config="):
			globalConfig, args = strings.TrimPrefix(args[0], "--config="), args[1:]
		case args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
			fmt.Fprint(stdout, usage())
			return 0
		case args[0] == "--version" || args[0] == "-version":
			// The same text as the version command.
			currentBuild().writeText(stdout)
			return 0
		default:
			fmt.Fprint(stderr, usage())
			return 2
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	cmd := commandFor(args)
	if cmd == nil {
		fmt.Fprintf(stderr, "ostiary: unknown command %q\n\n%s", strings.Join(args[:min(2, len(args))], " "), usage())
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
	// args and about, when about is set, give the command a usage line of
	// its own; otherwise it is listed among its noun's subcommands.
	args, about string
	// wrap starts a new line of the noun's subcommand list.
	wrap bool
}

// noun is a group of commands (clients, users, ...), listed in the usage
// in this order.
type noun struct {
	name, about string
	cmds        []command
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

// commands is every command of the table, each with its noun's name.
func commands() []command {
	var out []command
	for _, n := range nouns() {
		for _, c := range n.cmds {
			c.name = n.name
			out = append(out, c)
		}
	}
	return out
}

// sub is a subcommand of a noun listed with its siblings.
func sub(name string, setup func(*flag.FlagSet, *commonFlags) func(context.Context, env) error) command {
	return command{sub: name, setup: setup}
}

// nouns is the command table: the CLI's contract, and the usage text.
func nouns() []noun {
	return []noun{
		{"serve", "run the provider", []command{sub("", serveCommand)}},
		{"migrate", "apply pending database migrations", []command{sub("up", migrateUpCommand)}},
		{"clients", "manage OAuth clients", []command{
			sub("create", clientsCreateCommand), sub("list", clientsListCommand), sub("get", clientsGetCommand),
			sub("update", clientsUpdateCommand), sub("delete", clientsDeleteCommand),
			sub("rotate-secret", clientsRotateSecretCommand),
		}},
		{"apis", "manage APIs (resource servers, RFC 8707) clients are granted", []command{
			sub("create", apisCreateCommand), sub("list", apisListCommand), sub("get", apisGetCommand),
			sub("update", apisUpdateCommand), sub("delete", apisDeleteCommand),
		}},
		{"users", "manage users", []command{
			sub("create", usersCreateCommand), sub("list", usersListCommand), sub("get", usersGetCommand),
			sub("disable", usersStateCommand("disable")), sub("enable", usersStateCommand("enable")),
			sub("reset-mfa", usersResetMFACommand), sub("end-sessions", usersStateCommand("end-sessions")),
			sub("delete", usersDeleteCommand), sub("export", usersExportCommand), sub("import", usersImportCommand),
			sub("set-email", usersSetEmailCommand), sub("identities", usersIdentitiesCommand),
			sub("set-attributes", usersSetAttributesCommand),
		}},
		{"orgs", "manage organizations, their single sign-on and SCIM provisioning", []command{
			sub("create", orgsCreateCommand), sub("list", orgsListCommand), sub("get", orgsGetCommand),
			sub("update", orgsUpdateCommand), sub("rename", orgsRenameCommand), sub("delete", orgsDeleteCommand),
			sub("members", orgsMembersCommand), sub("add-member", orgsAddMemberCommand),
			sub("set-role", orgsSetRoleCommand), sub("remove-member", orgsRemoveMemberCommand),
			sub("set-attributes", orgsSetAttributesCommand), sub("set-member-attributes", orgsSetMemberAttributesCommand),
			sub("roles", orgsRolesCommand), sub("add-role", orgsAddRoleCommand), sub("delete-role", orgsDeleteRoleCommand),
			{sub: "sso-get", setup: orgsSSOGetCommand, wrap: true}, sub("sso-set", orgsSSOSetCommand),
			sub("sso-detach", orgsSSODetachCommand), sub("domains-add", orgsDomainsAddCommand),
			sub("domains-verify", orgsDomainsVerifyCommand), sub("domains-remove", orgsDomainsRemoveCommand),
			sub("scim-token", orgsScimTokenCommand), sub("scim-token-revoke", orgsScimTokenRevokeCommand),
		}},
		{"connectors", "upstream identity providers (the file's and run-time ones)", []command{
			sub("list", connectorsListCommand), sub("get", connectorsGetCommand),
			sub("create", connectorsCreateCommand), sub("delete", connectorsDeleteCommand),
		}},
		{"keys", "manage signing keys", []command{
			sub("list", keysListCommand), sub("rotate", keysRotateCommand), sub("revoke", keysRevokeCommand),
		}},
		{"janitor", "remove expired rows now", []command{sub("run", janitorRunCommand)}},
		{"dcr", "", []command{
			{sub: "token create", setup: dcrTokenCreateCommand, args: "[--expires D]", about: "make an initial access token for client registration"},
			{sub: "token list", setup: dcrTokenListCommand, about: "initial access tokens by id, with their expiry"},
			{sub: "token revoke", setup: dcrTokenRevokeCommand, args: "--id ID", about: "end an initial access token at once"},
		}},
		{"sessions", "a user's browser sessions", []command{
			sub("list", sessionsListCommand), sub("delete", sessionsDeleteCommand),
		}},
		{"consents", "a user's remembered consents", []command{
			sub("list", consentsListCommand), sub("revoke", consentsRevokeCommand),
		}},
		{"tokens", "a user's personal access tokens", []command{
			sub("list", tokensListCommand), sub("revoke", tokensRevokeCommand),
		}},
		{"passkeys", "a user's passkeys", []command{
			sub("list", passkeysListCommand), sub("remove", passkeysRemoveCommand),
		}},
		{"audit", "query the audit log", []command{sub("list", auditListCommand)}},
		{"version", "version, commit, build date, Go (also --version)", []command{sub("", versionCommand)}},
	}
}
