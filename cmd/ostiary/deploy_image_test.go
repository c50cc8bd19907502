package main

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerInstruction is one instruction of a Dockerfile, its continuation
// lines joined.
type dockerInstruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// dockerStage is one FROM and what follows it.
type dockerStage struct {
	from         string
	instructions []dockerInstruction
}

// parseDockerfile reads the instructions of a Dockerfile: comment lines are
// dropped, a trailing backslash continues the line, the instructions before
// the first FROM (global ARGs) come back as stage 0's preamble.
func parseDockerfile(t *testing.T, path string) (preamble []dockerInstruction, stages []dockerStage) {
	t.Helper()
	var cur strings.Builder
	var lines []string
	for l := range strings.SplitSeq(string(readFile(t, path)), "\n") {
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	for _, l := range lines {
		cmd, args, _ := strings.Cut(l, " ")
		in := dockerInstruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		switch {
		case in.cmd == "FROM":
			stages = append(stages, dockerStage{from: in.args})
		case len(stages) == 0:
			preamble = append(preamble, in)
		default:
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
		}
	}
	return preamble, stages
}

// find returns the args of every instruction cmd in the stage.
func (s dockerStage) find(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// dockerEnv is the ENV of a stage (KEY=value pairs, unquoted values).
func (s dockerStage) env() map[string]string {
	env := map[string]string{}
	for _, a := range s.find("ENV") {
		for _, kv := range strings.Fields(a) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}
	return env
}

// goBuildCommand is the shell command of the build stage's RUN that builds
// the binary.
func goBuildCommand(t *testing.T, stages []dockerStage) string {
	t.Helper()
	for _, r := range stages[0].find("RUN") {
		if strings.Contains(r, "go build") {
			return r
		}
	}
	t.Fatal("the Dockerfile's build stage has no RUN with go build")
	return ""
}

// TestDockerfile: a golang build stage at the go.mod release, a distroless
// static final stage as nonroot, the SQLite volume owned by that user, the
// exposed port the one it listens on, and the image's environment a
// configuration that validates and serves the probes (no config file: what
// `docker run` gets).
func TestDockerfile(t *testing.T) {
	t.Parallel()
	preamble, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	if len(stages) != 2 {
		t.Fatalf("%d stages, want build and final", len(stages))
	}
	goMod := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(readFile(t, filepath.Join(repoRoot, "go.mod"))))
	if !slices.Contains(preamble, dockerInstruction{"ARG", "GO_VERSION=" + goMod[1]}) {
		t.Errorf("ARG GO_VERSION is not go.mod's go %s: %v", goMod[1], preamble)
	}
	if stages[0].from != "golang:${GO_VERSION}-bookworm AS build" {
		t.Errorf("build stage FROM %q", stages[0].from)
	}
	final := stages[1]
	if final.from != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage FROM %q, want distroless static nonroot", final.from)
	}
	if u := final.find("USER"); !slices.Equal(u, []string{"65532:65532"}) {
		t.Errorf("USER %v, want the distroless nonroot user 65532:65532", u)
	}
	if v := final.find("VOLUME"); !slices.Equal(v, []string{`["/var/lib/ostiary"]`}) {
		t.Errorf("VOLUME %v", v)
	}
	if !slices.Contains(final.find("COPY"), "--from=build --chown=65532:65532 /out/data /var/lib/ostiary") {
		t.Errorf("the volume's directory is not copied owned by nonroot: %v", final.find("COPY"))
	}
	if !slices.Contains(final.find("COPY"), "--from=build /out/ostiary /usr/local/bin/ostiary") ||
		!slices.Equal(final.find("ENTRYPOINT"), []string{`["/usr/local/bin/ostiary"]`}) {
		t.Errorf("COPY %v ENTRYPOINT %v", final.find("COPY"), final.find("ENTRYPOINT"))
	}
	if h := final.find("HEALTHCHECK"); h != nil {
		t.Errorf("HEALTHCHECK %v: distroless has no shell or client to run one", h)
	}

	env := final.env()
	c, err := loadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the image's environment %v does not validate: %v", env, err)
	}
	if c.DataDir != "/var/lib/ostiary" || c.Database != "sqlite:/var/lib/ostiary/ostiary.db" {
		t.Errorf("the database %q and data_dir %q are not on the volume", c.Database, c.DataDir)
	}
	if p := listenPort(t, c.Listen); !slices.Equal(final.find("EXPOSE"), []string{p}) || !strings.HasPrefix(c.Listen, "0.0.0.0:") {
		t.Errorf("EXPOSE %v, listen %s", final.find("EXPOSE"), c.Listen)
	}

	// What `docker run IMAGE` starts (serve, no config file, the image's
	// environment; the volume a temporary directory here) answers the
	// probes the orchestrator is told to use, as there is no HEALTHCHECK.
	dir := t.TempDir()
	env["OSTIARY_DATA_DIR"], env["OSTIARY_DATABASE"] = dir, "sqlite:"+filepath.Join(dir, "ostiary.db")
	if cmd := final.find("CMD"); !slices.Equal(cmd, []string{`["serve"]`}) {
		t.Errorf("CMD %v, want serve", cmd)
	}
	_, empty, _ := loadShippedConfig(t, "", nil)
	serveAndProbe(t, empty, env, []string{"/healthz", "/readyz"})

	// .dockerignore keeps out nothing the build reads.
	for l := range strings.SplitSeq(string(readFile(t, filepath.Join(repoRoot, ".dockerignore"))), "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(l), "/")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		top, _, _ := strings.Cut(l, "/")
		if slices.Contains([]string{"go.mod", "go.sum", "cmd", "provider", "storage", "migrations", "templates", "static", "internal", "*"}, top) {
			t.Errorf(".dockerignore leaves out %q, which the build needs", l)
		}
	}
}

// TestDockerfileBuildsStaticBinary runs the Dockerfile's go build line as its
// RUN does (sh -c, the ARGs in the environment, the repository as the
// context), only writing elsewhere than /out, and checks the result is
// static: no interpreter, no dynamic section, no shared library, as
// distroless static (no libc) needs. The -X values reach `ostiary version`.
func TestDockerfileBuildsStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	t.Parallel()
	_, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	cmd := goBuildCommand(t, stages)
	for _, want := range []string{"CGO_ENABLED=0 go build", "-trimpath", "-o /out/ostiary ./cmd/ostiary"} {
		if !strings.Contains(cmd, want) {
			t.Fatalf("the build command lacks %q: %s", want, cmd)
		}
	}
	out := filepath.Join(t.TempDir(), "ostiary")
	sh := exec.Command("sh", "-c", strings.Replace(cmd, "-o /out/ostiary", "-o "+out, 1))
	sh.Dir = repoRoot
	sh.Env = append(os.Environ(), "VERSION=v9.8.7-test", "COMMIT=0123abcd", "BUILD_DATE=2026-12-03T12:00:00Z")
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("program header %v: the binary is dynamically linked", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("the binary has a .dynamic section")
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("shared libraries %v (%v)", libs, err)
	}

	v, err := exec.Command(out, "version", "--output", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var b buildInfo
	if err := json.Unmarshal(v, &b); err != nil {
		t.Fatal(err)
	}
	if b.Version != "v9.8.7-test" || b.Commit != "0123abcd" || b.Date != "2026-12-03T12:00:00Z" {
		t.Errorf("version of the image's binary: %+v", b)
	}
	if flagOut, err := exec.Command(out, "--version").Output(); err != nil || !strings.HasPrefix(string(flagOut), "ostiary v9.8.7-test\ncommit  0123abcd\n") {
		t.Errorf("--version: %q %v", flagOut, err)
	}
}

// TestMakeRelease: make release builds what the Dockerfile builds (static,
// -trimpath, the same -X variables) for linux/amd64 and linux/arm64 into
// dist/, with SHA256SUMS. Checked with make -n: the builds themselves are
// the Dockerfile test's command.
func TestMakeRelease(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on this machine")
	}
	cmd := exec.Command("make", "-n", "release", "VERSION=v9.8.7-test", "COMMIT=0123abcd", "DATE=2026-12-03T12:00:00Z")
	cmd.Dir = repoRoot
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n release: %v\n%s", err, b)
	}
	out := string(b)
	for _, want := range []string{
		"for p in linux/amd64 linux/arm64;",
		"out=dist/ostiary-v9.8.7-test-$os-$arch",
		`CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.version=v9.8.7-test -X main.commit=0123abcd -X main.date=2026-12-03T12:00:00Z" -o $out ./cmd/ostiary`,
		"sha256sum ostiary-* > SHA256SUMS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("make -n release lacks %q:\n%s", want, out)
		}
	}
	// The Dockerfile's -ldflags are the same, with its ARGs.
	_, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	if want := `-ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${BUILD_DATE}"`; !strings.Contains(goBuildCommand(t, stages), want) {
		t.Errorf("the Dockerfile's go build differs from the release's: %s", goBuildCommand(t, stages))
	}
	if !strings.Contains(string(readFile(t, filepath.Join(repoRoot, ".gitignore"))), "/dist/") {
		t.Error("dist/ is not in .gitignore")
	}
}
