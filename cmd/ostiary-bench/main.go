package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ostiary/ostiary/internal/serverproc"
)

type options struct {
	bin         string
	database    string
	concurrency int
	duration    time.Duration
	reqTimeout  time.Duration
	dbPidFile   string
	scenarios   []string
	json        bool
	// alg, when not RS256, signs the access tokens (tokens.access_token_alg)
	// and the client's ID tokens (--id-token-alg) with ES256 or EdDSA.
	alg string
}

// report is the whole run, as -json prints it.
type report struct {
	Database string `json:"database"`
	// Alg signs the tokens the scenarios issue.
	Alg         string  `json:"alg"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"duration_seconds"`
	// RS256SignCPUms is the mean of the scenarios' own measurements.
	RS256SignCPUms float64  `json:"rs256_sign_cpu_ms"`
	GOMAXPROCS     int      `json:"client_gomaxprocs"`
	Scenarios      []result `json:"scenarios"`
}

func main() {
	var o options
	var scen string
	flag.StringVar(&o.bin, "bin", "bin/ostiary", "ostiary binary to run")
	flag.StringVar(&o.database, "database", "", "postgres:// DSN of an empty database, or sqlite:<path> (default: SQLite in a temp dir)")
	flag.IntVar(&o.concurrency, "concurrency", 4, "concurrent clients per scenario")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario")
	flag.DurationVar(&o.reqTimeout, "request-timeout", 10*time.Second, "limit on each HTTP request")
	flag.StringVar(&scen, "scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios: "+strings.Join(allScenarios, ", "))
	flag.BoolVar(&o.json, "json", false, "print the report as JSON")
	flag.StringVar(&o.alg, "alg", "RS256", "alg of the access tokens and ID tokens issued: RS256, ES256 or EdDSA")
	flag.StringVar(&o.dbPidFile, "db-pid-file", "", "postmaster.pid of the PostgreSQL cluster behind -database, to report its CPU too (optional)")
	flag.Parse()
	for name := range strings.SplitSeq(scen, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(allScenarios, name) {
			fmt.Fprintf(os.Stderr, "ostiary-bench: unknown scenario %q (have %s)\n", name, strings.Join(allScenarios, ", "))
			os.Exit(2)
		}
		o.scenarios = append(o.scenarios, name)
	}
	if !slices.Contains([]string{"RS256", "ES256", "EdDSA"}, o.alg) {
		fmt.Fprintf(os.Stderr, "ostiary-bench: -alg %q: want RS256, ES256 or EdDSA\n", o.alg)
		os.Exit(2)
	}
	if o.concurrency < 1 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "ostiary-bench: -concurrency must be ≥ 1 and -duration > 0")
		os.Exit(2)
	}

	rep, err := run(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ostiary-bench: %v\n", err)
		os.Exit(1)
	}
	if o.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printTable(os.Stdout, rep)
	}
	for _, r := range rep.Scenarios {
		if r.Errors > 0 {
			fmt.Fprintf(os.Stderr, "ostiary-bench: %s had %d failed requests, first: %s\n", r.Name, r.Errors, r.FirstError)
			os.Exit(1)
		}
	}
}

func run(o options) (*report, error) {
	// The whole run is bounded: setup, each scenario with its preparation,
	// and shutdown. A watchdog exits even if something ignores the context.
	limit := 2*time.Minute + time.Duration(len(o.scenarios))*(o.duration+90*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	yard, err := newYardstick()
	if err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp("", "ostiary-bench-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	dbEnv, label, err := databaseEnv(o.database, tmp)
	if err != nil {
		return nil, err
	}
	srv, err := serverproc.New(o.bin, dbEnv, "warn")
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	if o.alg != "RS256" {
		conf := filepath.Join(tmp, "config.yaml")
		yaml := "keys:\n  algorithms: [RS256, " + o.alg + "]\ntokens:\n  access_token_alg: " + o.alg + "\n"
		if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		srv.Args = []string{"--config", conf}
	}
	watchdog := time.AfterFunc(limit+15*time.Second, func() {
		fmt.Fprintln(os.Stderr, "ostiary-bench: run exceeded its time limit, stopping the server")
		srv.Stop()
		os.Exit(3)
	})
	defer watchdog.Stop()
	if err := srv.Start(ctx, 60*time.Second); err != nil {
		return nil, err
	}

	c, err := setup(ctx, srv, o)
	if err != nil {
		return nil, err
	}
	m := meter{serverPid: srv.Pid()}
	if o.dbPidFile != "" {
		if m.dbPid, err = postmasterPid(o.dbPidFile); err != nil {
			return nil, err
		}
	}
	b := &bench{meter: m, rp: c, conc: o.concurrency, dur: o.duration}
	rep := &report{
		Database: label, Alg: o.alg, Concurrency: o.concurrency, DurationS: o.duration.Seconds(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	// The signature is measured right before and right after each scenario
	// and the scenario is compared with the mean of the two: on a machine
	// shared with other work the cost of a signature drifts during a run,
	// and a single measurement at the start made every ratio depend on how
	// busy the machine happened to be at that moment.
	var signTotal time.Duration
	for _, name := range o.scenarios {
		before, err := yard.measure(yardstickSigns)
		if err != nil {
			return nil, err
		}
		s, err := b.run(ctx, name)
		if err != nil {
			return nil, err
		}
		after, err := yard.measure(yardstickSigns)
		if err != nil {
			return nil, err
		}
		sign := (before + after) / 2
		signTotal += sign
		fmt.Fprintf(os.Stderr, "ostiary-bench: %s done\n", name)
		rep.Scenarios = append(rep.Scenarios, summarize(name, s, sign))
	}
	if n := len(o.scenarios); n > 0 {
		rep.RS256SignCPUms = float64((signTotal / time.Duration(n)).Microseconds()) / 1000
	}
	return rep, nil
}

// databaseEnv turns -database into the server's environment and a label
// without credentials.
func databaseEnv(db, tmp string) ([]string, string, error) {
	env := []string{"OSTIARY_DATA_DIR=" + filepath.Join(tmp, "data")}
	switch {
	case db == "":
		return append(env, "OSTIARY_DATABASE=sqlite:"+filepath.Join(tmp, "ostiary.db")), "sqlite", nil
	case strings.HasPrefix(db, "sqlite:"):
		return append(env, "OSTIARY_DATABASE="+db), "sqlite", nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		// A fresh system secret per run: the database is meant to be empty.
		return append(env, "OSTIARY_DATABASE="+db, "OSTIARY_SECRETS_SYSTEM="+randomString()), "postgres", nil
	}
	return nil, "", errors.New("-database must be empty, sqlite:<path> or a postgres:// DSN")
}

// setup creates the user and the first-party confidential client through
// the admin CLI and signs the user in once over HTTP.
func setup(ctx context.Context, srv *serverproc.Process, o options) (*rp, error) {
	email, password := "bench@example.com", randomString()
	var user, client struct {
		ID           string `json:"id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := srv.CLI(ctx, password+"\n", &user, "users", "create", "--email", email, "--password-stdin", "--verified"); err != nil {
		return nil, err
	}
	if err := srv.CLI(ctx, "", &client, "clients", "create", "--name", "ostiary-bench", "--redirect-uri", redirectURI,
		"--grant-type", "authorization_code", "--grant-type", "refresh_token", "--grant-type", "client_credentials",
		"--first-party", "--id-token-alg", o.alg); err != nil {
		return nil, err
	}
	if client.ClientID == "" || client.ClientSecret == "" {
		return nil, errors.New("clients create: no client_id or client_secret in its output")
	}
	c, err := newRP(srv.URL, client.ClientID, client.ClientSecret, o.concurrency, o.reqTimeout)
	if err != nil {
		return nil, err
	}
	code, p, err := c.login(ctx, email, password)
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	// The first code proves the whole flow works before anything is timed.
	if _, err := c.exchange(ctx, code, p); err != nil {
		return nil, fmt.Errorf("first code exchange: %w", err)
	}
	return c, nil
}

// yardstick measures the CPU time (user+system, from getrusage) of one RS256
// signature: PKCS #1 v1.5 over a SHA-256 digest with a 2048-bit key, the
// work an ID token or JWT access token costs the provider.
type yardstick struct {
	key *rsa.PrivateKey
	n   int
}

func newYardstick() (*yardstick, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	y := &yardstick{key: key}
	for range 20 { // warm up: precomputation, page faults
		if err := y.sign(); err != nil {
			return nil, err
		}
	}
	return y, nil
}

func (y *yardstick) sign() error {
	y.n++
	digest := sha256.Sum256(fmt.Appendf(nil, "header.payload-%d", y.n))
	if _, err := rsa.SignPKCS1v15(rand.Reader, y.key, crypto.SHA256, digest[:]); err != nil {
		return fmt.Errorf("RS256 sign: %w", err)
	}
	return nil
}

// measure is the mean CPU time of n signatures.
func (y *yardstick) measure(n int) (time.Duration, error) {
	before, err := processCPU()
	if err != nil {
		return 0, err
	}
	for range n {
		if err := y.sign(); err != nil {
			return 0, err
		}
	}
	after, err := processCPU()
	if err != nil {
		return 0, err
	}
	return (after - before) / time.Duration(n), nil
}

func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

func printTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "database=%s alg=%s concurrency=%d duration=%gs  one RS256 signature = %.3f ms CPU (this process, mean over the scenarios)\n",
		rep.Database, rep.Alg, rep.Concurrency, rep.DurationS, rep.RS256SignCPUms)
	fmt.Fprintf(w, "%-20s %8s %9s %8s %8s %6s %10s %8s %9s %9s\n",
		"scenario", "requests", "req/s", "p50 ms", "p99 ms", "errors", "cpu-s/1k", "sign ms", "x RS256", "db cpu/1k")
	for _, r := range rep.Scenarios {
		fmt.Fprintln(w, r)
	}
	fmt.Fprintln(w, "cpu-s/1k: server CPU-seconds per 1,000 requests (/proc utime+stime); sign ms: one RS256 signature, measured just before and after the scenario; x RS256: server CPU per request / that signature; db cpu/1k: the PostgreSQL cluster's CPU-seconds per 1,000 requests (-db-pid-file), not included in the others.")
}
