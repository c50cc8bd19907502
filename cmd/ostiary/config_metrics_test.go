package main

import (
	"strings"
	"testing"
)

func TestMetricsListenConfig(t *testing.T) {
	t.Parallel()
	if c, err := loadConfig("", noEnv); err != nil || c.Metrics.Listen != "" || !c.Log.Access {
		t.Fatalf("defaults: metrics.listen %q (want off), log.access %v (want on), %v", c.Metrics.Listen, c.Log.Access, err)
	}
	c, err := loadConfig(writeFile(t, "metrics:\n  listen: 127.0.0.1:9464\nlog:\n  access: false\n"), noEnv)
	if err != nil || c.Metrics.Listen != "127.0.0.1:9464" || c.Log.Access {
		t.Fatalf("file: metrics.listen %q, log.access %v, %v", c.Metrics.Listen, c.Log.Access, err)
	}
	env := map[string]string{"OSTIARY_METRICS_LISTEN": "127.0.0.1:9465", "OSTIARY_LOG_ACCESS": "false"}
	c, err = loadConfig("", func(k string) string { return env[k] })
	if err != nil || c.Metrics.Listen != "127.0.0.1:9465" || c.Log.Access {
		t.Fatalf("environment: metrics.listen %q, log.access %v, %v", c.Metrics.Listen, c.Log.Access, err)
	}
	env["OSTIARY_LOG_ACCESS"] = "maybe"
	if c, _ = loadConfig("", func(k string) string { return env[k] }); !c.Log.Access {
		t.Fatal("OSTIARY_LOG_ACCESS=maybe turned the access log off")
	}
	// Never the public port, never the admin API's.
	for body, want := range map[string]string{
		"metrics:\n  listen: nonsense\n":                                         "metrics.listen:",
		"listen: 127.0.0.1:8080\nmetrics:\n  listen: 127.0.0.1:8080\n":           "already the main or the admin listener",
		"admin:\n  listen: 127.0.0.1:9090\nmetrics:\n  listen: 127.0.0.1:9090\n": "already the main or the admin listener",
		"metrics:\n  listen: 127.0.0.1:9464\n  path: /m\n":                       "path",
		"log:\n  access: sometimes\n":                                            "into bool",
	} {
		if _, err := loadConfig(writeFile(t, body), noEnv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", body, err, want)
		}
	}
}
