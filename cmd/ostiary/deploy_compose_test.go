package main

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads compose.yaml as docker compose does (the compose-spec
// schema, interpolation of ${VAR}, paths resolved against its directory).
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	file, err := filepath.Abs(deployPath("compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(file),
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: env,
	}, func(o *loader.Options) { o.ResolvePaths = true; o.SetProjectName("ostiary", true) })
}

// TestCompose: compose.yaml is valid compose (the compose-spec loader and
// its JSON schema), refuses to start without the two secrets, builds the
// image from the repository's Dockerfile, starts ostiary once PostgreSQL is
// healthy, and its config file, with its environment, validates with the
// binary's decoder and points at the postgres service; then serve, started
// with that file, answers the probes.
func TestCompose(t *testing.T) {
	t.Parallel()
	for _, missing := range []string{"POSTGRES_PASSWORD", "OSTIARY_SECRET"} {
		env := map[string]string{"POSTGRES_PASSWORD": "pw", "OSTIARY_SECRET": randomSecret(t)}
		delete(env, missing)
		if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v, want it required", missing, err)
		}
	}
	password := randomSecret(t)[:24]
	p, err := loadCompose(t, map[string]string{"POSTGRES_PASSWORD": password, "OSTIARY_SECRET": randomSecret(t)})
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	pg, err := p.GetService("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if pg.HealthCheck == nil || len(pg.HealthCheck.Test) < 2 || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck %+v, want pg_isready", pg.HealthCheck)
	}
	o, err := p.GetService("ostiary")
	if err != nil {
		t.Fatal(err)
	}
	if dep, ok := o.DependsOn["postgres"]; !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("ostiary depends_on %+v, want postgres: service_healthy", o.DependsOn)
	}
	root, _ := filepath.Abs(repoRoot)
	if o.Build == nil || o.Build.Context != root || o.Build.Dockerfile != "Dockerfile" {
		t.Errorf("build %+v, want the repository's Dockerfile", o.Build)
	}
	if !o.ReadOnly || !slices.Equal(o.CapDrop, []string{"ALL"}) || !slices.Contains(o.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("read_only %v cap_drop %v security_opt %v", o.ReadOnly, o.CapDrop, o.SecurityOpt)
	}

	// The config file: the config mounted where --config points.
	if len(o.Command) != 3 || o.Command[0] != "serve" || o.Command[1] != "--config" {
		t.Fatalf("command %v: want serve --config FILE", o.Command)
	}
	var content string
	for _, c := range o.Configs {
		if c.Target == o.Command[2] {
			content = p.Configs[c.Source].Content
		}
	}
	if content == "" {
		t.Fatalf("no config is mounted at %s", o.Command[2])
	}
	env := map[string]string{}
	for k, v := range o.Environment {
		if v == nil {
			t.Fatalf("environment %s has no value", k)
		}
		env[k] = *v
	}
	c, path, err := loadShippedConfig(t, content, env)
	if err != nil {
		t.Fatalf("the compose config: %v", err)
	}
	db, err := url.Parse(c.Database)
	if err != nil || db.Scheme != "postgres" || db.Hostname() != "postgres" || db.Port() != "5432" {
		t.Fatalf("database %q: want the postgres service", c.Database)
	}
	if pw, _ := db.User.Password(); db.User.Username() != *pg.Environment["POSTGRES_USER"] || pw != password ||
		db.Path != "/"+*pg.Environment["POSTGRES_DB"] {
		t.Errorf("database %q does not match the postgres service's user, password and database", c.Database)
	}
	if len(o.Ports) != 1 || o.Ports[0].Published != "8080" || o.Ports[0].Target != 8080 || listenPort(t, c.Listen) != "8080" {
		t.Errorf("ports %+v, listen %s", o.Ports, c.Listen)
	}

	// Started with that file (on SQLite here: no PostgreSQL service in a
	// unit test), serve answers the probes an operator points a load
	// balancer at.
	env["OSTIARY_DATABASE"] = "sqlite:" + filepath.Join(t.TempDir(), "ostiary.db")
	env["OSTIARY_DATA_DIR"] = t.TempDir()
	serveAndProbe(t, path, env, []string{"/healthz", "/readyz"})
}
