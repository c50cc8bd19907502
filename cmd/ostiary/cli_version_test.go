package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionBothSpellings: `ostiary version` and `ostiary --version` print
// the same lines (version, commit, build date, Go); --output json gives the
// same fields; the usage text lists the command and the flag.
func TestVersionBothSpellings(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	cmd := c.ok("", "version")
	flagOut := c.ok("", "--version")
	if cmd != flagOut {
		t.Errorf("version printed\n%s\n--version printed\n%s", cmd, flagOut)
	}
	lines := strings.Split(strings.TrimSuffix(cmd, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ostiary ") || !strings.HasPrefix(lines[1], "commit  ") ||
		!strings.HasPrefix(lines[2], "built   ") || lines[3] != "go      "+runtime.Version() {
		t.Errorf("version output:\n%s", cmd)
	}
	b := decode[buildInfo](t, c.ok("", "version", "--output", "json"))
	want := currentBuild()
	if b != want || b.Version == "" || b.Go != runtime.Version() {
		t.Errorf("version --output json = %+v, want %+v", b, want)
	}
	if code, _, errOut := c.run("", "version", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, %q", code, errOut)
	}
	u := usage()
	if !strings.Contains(u, "ostiary --version") || !strings.Contains(u, "\n  version ") {
		t.Errorf("usage does not name version and --version:\n%s", u)
	}
}

// TestResolveBuild: -ldflags values win; without them the module version
// and the VCS stamp Go records answer; nothing known reads "unknown".
func TestResolveBuild(t *testing.T) {
	t.Parallel()
	stamped := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/ostiary/ostiary", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789abcdef"},
				{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
				{Key: "vcs.modified", Value: "true"},
			}}, true
	}
	for _, tc := range []struct {
		name string
		set  buildInfo
		read func() (*debug.BuildInfo, bool)
		want buildInfo
	}{
		{"ldflags", buildInfo{Version: "v2.0.0", Commit: "fedcba", Date: "2026-12-03T10:00:00Z"}, stamped,
			buildInfo{Version: "v2.0.0", Commit: "fedcba", Date: "2026-12-03T10:00:00Z", Go: "go1.99.1"}},
		{"build info", buildInfo{}, stamped,
			buildInfo{Version: "v1.4.0", Commit: "0123456789abcdef", Date: "2026-01-02T03:04:05Z", Go: "go1.99.1", Modified: true}},
		{"devel", buildInfo{}, func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "(devel)"}}, true
		}, buildInfo{Version: "devel", Commit: "unknown", Date: "unknown", Go: "go1.99.1"}},
		{"none", buildInfo{}, func() (*debug.BuildInfo, bool) { return nil, false },
			buildInfo{Version: "unknown", Commit: "unknown", Date: "unknown", Go: runtime.Version()}},
	} {
		if got := resolveBuild(tc.set, tc.read); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	var b strings.Builder
	resolveBuild(buildInfo{}, stamped).writeText(&b)
	if want := "ostiary v1.4.0\ncommit  0123456789abcdef (modified)\nbuilt   2026-01-02T03:04:05Z\ngo      go1.99.1\n"; b.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", b.String(), want)
	}
}
