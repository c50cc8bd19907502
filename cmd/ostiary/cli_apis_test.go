package main

import (
	"strings"
	"testing"
)

// TestAPIsCommands: an API is registered, listed, changed, granted to a
// client (with its default API), refused when not registered, and deleted,
// which takes it from the client.
func TestAPIsCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const orders = "https://api.example/orders"
	got := decode[map[string]any](t, c.ok("", "apis", "create", "--identifier", orders, "--name", "Orders",
		"--scope", "orders:read=See your orders", "--access-token-lifespan", "5m", "--output", "json"))
	if got["identifier"] != orders || got["access_token_lifespan_seconds"] != float64(300) || len(got["scopes"].([]any)) != 1 {
		t.Fatalf("create: %v", got)
	}
	if code, _, _ := c.run("", "apis", "create", "--identifier", "not-a-uri", "--name", "Bad"); code == 0 {
		t.Fatal("an identifier that is not an absolute URI was accepted (RFC 8707 §2)")
	}
	if code, _, _ := c.run("", "apis", "create", "--identifier", "urn:x:y", "--name", "Bad", "--scope", "s="); code == 0 {
		t.Fatal("a scope without a description was accepted")
	}
	if out := c.ok("", "apis", "list"); !strings.Contains(out, orders) || !strings.Contains(out, "Orders") {
		t.Fatalf("list: %s", out)
	}
	got = decode[map[string]any](t, c.ok("", "apis", "update", "--identifier", orders, "--name", "Orders v2", "--output", "json"))
	if got["name"] != "Orders v2" || got["access_token_lifespan_seconds"] != float64(300) {
		t.Fatalf("update keeps what was not given: %v", got)
	}
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Web", "--redirect-uri", "https://app.example/cb",
		"--api", orders, "--default-api", orders, "--output", "json"))
	if out := c.ok("", "clients", "get", "--id", made["client_id"]); !strings.Contains(out, orders) {
		t.Fatalf("client get shows no API: %s", out)
	}
	if code, _, _ := c.run("", "clients", "update", "--id", made["client_id"], "--api", "https://unknown.example"); code == 0 {
		t.Fatal("granting an unregistered API was accepted")
	}
	if code, _, _ := c.run("", "clients", "update", "--id", made["client_id"], "--default-api", "https://unknown.example"); code == 0 {
		t.Fatal("a default API the client is not granted was accepted")
	}
	c.ok("", "apis", "delete", "--identifier", orders)
	if out := c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json"); strings.Contains(out, orders) {
		t.Fatalf("deleting the API left it on the client: %s", out)
	}
	if code, _, _ := c.run("", "apis", "get", "--identifier", orders); code == 0 {
		t.Fatal("get after delete succeeded")
	}
}
