package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOutboundAllowConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := loadConfig("", env(nil))
	if err != nil || c.Outbound.Allow != nil {
		t.Fatalf("default: %v, %#v; want unset", err, c.Outbound.Allow)
	}
	c, err = loadConfig("", env(map[string]string{"OSTIARY_OUTBOUND_ALLOW": "10.0.0.0/8, ::1"}))
	if err != nil || !slices.Equal(c.Outbound.Allow, []string{"10.0.0.0/8", "::1"}) {
		t.Fatalf("env list: %v, %#v", err, c.Outbound.Allow)
	}
	c, err = loadConfig("", env(map[string]string{"OSTIARY_OUTBOUND_ALLOW": "none"}))
	if err != nil || c.Outbound.Allow == nil || len(c.Outbound.Allow) != 0 {
		t.Fatalf("env none: %v, %#v; want an empty, set list", err, c.Outbound.Allow)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("outbound:\n  allow: []\n"), 0o600)
	c, err = loadConfig(path, env(nil))
	if err != nil || c.Outbound.Allow == nil || len(c.Outbound.Allow) != 0 {
		t.Fatalf("file []: %v, %#v; want an empty, set list", err, c.Outbound.Allow)
	}
	os.WriteFile(path, []byte("outbound:\n  allow: [10.1.2.3/8, nonsense]\n"), 0o600)
	_, err = loadConfig(path, env(nil))
	for _, want := range []string{"outbound.allow[0]", "outbound.allow[1]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad entries: %v, want it to name %s", err, want)
		}
	}
}
