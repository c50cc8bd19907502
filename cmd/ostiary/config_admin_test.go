package main

import (
	"strings"
	"testing"
)

func TestAdminListenConfig(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(writeFile(t, "admin:\n  listen: 127.0.0.1:9090\n"), noEnv)
	if err != nil || c.Admin.Listen != "127.0.0.1:9090" {
		t.Fatalf("admin.listen: %q %v", c.Admin.Listen, err)
	}
	if !providerConfig(c, nil).AdminSeparate {
		t.Fatal("admin.listen set, but the API would still be on the main listener")
	}
	c, err = loadConfig("", func(k string) string {
		if k == "OSTIARY_ADMIN_LISTEN" {
			return "127.0.0.1:9191"
		}
		return ""
	})
	if err != nil || c.Admin.Listen != "127.0.0.1:9191" {
		t.Fatalf("OSTIARY_ADMIN_LISTEN: %q %v", c.Admin.Listen, err)
	}
	for body, want := range map[string]string{
		"admin:\n  listen: nonsense\n":                               "admin.listen:",
		"listen: 127.0.0.1:8080\nadmin:\n  listen: 127.0.0.1:8080\n": "is the main listener",
	} {
		if _, err := loadConfig(writeFile(t, body), noEnv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", body, err, want)
		}
	}
}
