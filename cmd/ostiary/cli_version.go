package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Release builds set these with -ldflags "-X main.version=... -X
// main.commit=... -X main.date=..." (the Makefile's release target and the
// Dockerfile); a plain go build or go install leaves them empty and the
// build information Go records in the binary answers instead.
var (
	version string
	commit  string
	date    string
)

// buildInfo is what `ostiary version` prints.
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
	// Modified: built from a work tree with uncommitted changes (only known
	// from Go's VCS stamp, not from -ldflags).
	Modified bool `json:"modified,omitempty"`
}

// currentBuild is this binary's version: the -ldflags values where set,
// else the module version and VCS stamp of debug.ReadBuildInfo.
func currentBuild() buildInfo {
	return resolveBuild(buildInfo{Version: version, Commit: commit, Date: date}, debug.ReadBuildInfo)
}

// resolveBuild fills what the -ldflags values (set) leave empty from read.
func resolveBuild(set buildInfo, read func() (*debug.BuildInfo, bool)) buildInfo {
	b := set
	b.Go = runtime.Version()
	if bi, ok := read(); ok {
		if bi.GoVersion != "" {
			b.Go = bi.GoVersion
		}
		if b.Version == "" && bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true" && set.Commit == ""
			}
		}
	}
	for _, f := range []*string{&b.Version, &b.Commit, &b.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	// go build outside a module's VCS checkout says "(devel)".
	if b.Version == "(devel)" {
		b.Version = "devel"
	}
	return b
}

// writeText prints one "key value" line each, the version first.
func (b buildInfo) writeText(w io.Writer) {
	commit := b.Commit
	if b.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(w, "ostiary %s\ncommit  %s\nbuilt   %s\ngo      %s\n", b.Version, commit, b.Date, strings.TrimSpace(b.Go))
}

func versionCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(_ context.Context, e env) error {
		b := currentBuild()
		if cf.output == "json" {
			return printJSON(e.stdout, b)
		}
		b.writeText(e.stdout)
		return nil
	}
}
