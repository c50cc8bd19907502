package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// systemdUnit is a unit file's settings, section.Key → values in order.
func systemdUnit(t *testing.T, path string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section := ""
	for l := range strings.SplitSeq(string(readFile(t, path)), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("%s: %q is not Key=value", path, l)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

// TestSystemdUnit: the unit's hardening is there, its Environment= and
// config.yaml validate with the binary's decoder and put the database in its
// StateDirectory, and systemd-analyze verify accepts it (the ExecStart
// binary stood in for by an executable that exists here).
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	unitPath := deployPath("systemd", "ostiary.service")
	u := systemdUnit(t, unitPath)
	for key, want := range map[string]string{
		"Service.DynamicUser":             "yes",
		"Service.NoNewPrivileges":         "yes",
		"Service.ProtectSystem":           "strict",
		"Service.ProtectHome":             "yes",
		"Service.PrivateTmp":              "yes",
		"Service.PrivateDevices":          "yes",
		"Service.CapabilityBoundingSet":   "",
		"Service.AmbientCapabilities":     "",
		"Service.StateDirectory":          "ostiary",
		"Service.SystemCallArchitectures": "native",
		"Service.MemoryDenyWriteExecute":  "yes",
		"Service.RestrictSUIDSGID":        "yes",
		"Service.RestrictNamespaces":      "yes",
		"Service.UMask":                   "0077",
	} {
		if got := u[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if !slices.Contains(u["Service.SystemCallFilter"], "@system-service") {
		t.Errorf("SystemCallFilter %v lacks @system-service", u["Service.SystemCallFilter"])
	}
	exec0 := strings.Fields(u["Service.ExecStart"][0])
	if len(exec0) != 4 || exec0[1] != "serve" || exec0[2] != "--config" {
		t.Fatalf("ExecStart %v: want BINARY serve --config FILE", exec0)
	}

	env := map[string]string{}
	for _, e := range u["Service.Environment"] {
		for _, kv := range strings.Fields(e) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	c, _, err := loadShippedConfig(t, string(readFile(t, deployPath("systemd", "config.yaml"))), env)
	if err != nil {
		t.Fatalf("systemd/config.yaml with the unit's environment: %v", err)
	}
	state := "/var/lib/" + u["Service.StateDirectory"][0]
	if c.DataDir != state || c.Database != "sqlite:"+state+"/ostiary.db" {
		t.Errorf("data_dir %s, database %s: want both in the StateDirectory %s (ProtectSystem=strict leaves nothing else writable)", c.DataDir, c.Database, state)
	}
	if filepath.Base(exec0[3]) != "config.yaml" || filepath.Dir(exec0[3]) != "/etc/"+u["Service.ConfigurationDirectory"][0] {
		t.Errorf("--config %s is not config.yaml in the ConfigurationDirectory", exec0[3])
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd): the unit was not verified")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.Replace(string(readFile(t, unitPath)), "ExecStart="+exec0[0]+" ", "ExecStart="+self+" ", 1)
	tmp := filepath.Join(t.TempDir(), "ostiary.service")
	if err := os.WriteFile(tmp, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", tmp).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
