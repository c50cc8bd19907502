package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClientsCreateJSONAndNoPlaintextSecretAtRest(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	out := c.ok("", "clients", "create", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--output", "json")
	got := decode[map[string]string](t, out)
	if got["client_id"] == "" || len(got["client_secret"]) < 43 {
		t.Fatalf("want client_id and a 256-bit client_secret, got %v", got)
	}
	pub := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "SPA", "--public", "--redirect-uri", "http://127.0.0.1:5173/cb", "--output", "json"))
	if _, has := pub["client_secret"]; has || pub["client_id"] == "" {
		t.Fatalf("public client: %v", pub)
	}
	// The secret must not be anywhere in the database files.
	files, _ := filepath.Glob(filepath.Join(c.dir, "ostiary.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(got["client_secret"])) {
			t.Fatalf("%s holds the client secret in plaintext", f)
		}
	}
	list := decode[[]clientView](t, c.ok("", "clients", "list", "--output", "json"))
	if len(list) != 2 {
		t.Fatalf("clients list: %v", list)
	}
	one := decode[clientView](t, c.ok("", "clients", "get", "--id", got["client_id"], "--output", "json"))
	if one.Name != "Web" || one.RedirectURIs[0] != "https://app.example/cb" {
		t.Fatalf("clients get: %+v", one)
	}
	c.ok("", "clients", "delete", "--id", got["client_id"])
	if code, _, _ := c.run("", "clients", "get", "--id", got["client_id"]); code == 0 {
		t.Fatal("deleted client still found")
	}
}

// TestClientsCreatePKCEOptional: --pkce-optional lets a confidential client
// send no code_challenge, clients get shows it, and a public client with it
// is refused (RFC 9700 §2.1.1).
func TestClientsCreatePKCEOptional(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Proxy", "--pkce-optional",
		"--redirect-uri", "https://proxy.example/oauth2/callback", "--output", "json"))
	got := decode[map[string]any](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json"))
	if got["pkce_required"] != false {
		t.Fatalf("pkce_required = %v, want false", got["pkce_required"])
	}
	def := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--output", "json"))
	if got := decode[map[string]any](t, c.ok("", "clients", "get", "--id", def["client_id"], "--output", "json")); got["pkce_required"] != true {
		t.Fatalf("default pkce_required = %v, want true", got["pkce_required"])
	}
	c.ok("", "clients", "update", "--id", made["client_id"], "--pkce-optional=false")
	if got := decode[map[string]any](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json")); got["pkce_required"] != true {
		t.Fatalf("after --pkce-optional=false: pkce_required = %v", got["pkce_required"])
	}
	code, _, stderr := c.run("", "clients", "create", "--name", "SPA", "--public", "--pkce-optional", "--redirect-uri", "http://127.0.0.1/cb")
	if code == 0 || !strings.Contains(stderr, "public client must always use it") {
		t.Fatalf("public client with --pkce-optional: exit %d, %s", code, stderr)
	}
}

// TestClientsIDTokenAlg: --id-token-alg registers the client's
// id_token_signed_response_alg (OpenID Connect Dynamic Client Registration
// §2) when keys.algorithms has it; an alg the key set does not sign with,
// or no JWS alg at all, is refused with the reason.
func TestClientsIDTokenAlg(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	conf := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(conf, []byte("keys:\n  algorithms: [RS256, ES256, EdDSA]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--config", conf, "--name", "Web", "--id-token-alg", "ES256",
		"--redirect-uri", "https://app.example/cb", "--output", "json"))
	get := func() string {
		return decode[clientView](t, c.ok("", "clients", "get", "--config", conf, "--id", made["client_id"], "--output", "json")).IDTokenSignedResponseAlg
	}
	if got := get(); got != "ES256" {
		t.Fatalf("id_token_signed_response_alg = %q, want ES256", got)
	}
	c.ok("", "clients", "update", "--config", conf, "--id", made["client_id"], "--id-token-alg", "EdDSA")
	if got := get(); got != "EdDSA" {
		t.Fatalf("after update: %q, want EdDSA", got)
	}
	def := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Plain", "--redirect-uri", "https://app.example/cb", "--output", "json"))
	if got := decode[clientView](t, c.ok("", "clients", "get", "--id", def["client_id"], "--output", "json")); got.IDTokenSignedResponseAlg != "RS256" {
		t.Fatalf("default alg %q, want RS256", got.IDTokenSignedResponseAlg)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", conf, "--id-token-alg", "HS256"}, `ID token signing alg "HS256": unknown`},
		{[]string{"--config", conf, "--id-token-alg", "none"}, `ID token signing alg "none": unknown`},
		// Without the config file the key set is RS256 only.
		{[]string{"--id-token-alg", "ES256"}, "ID token signing alg ES256: not enabled on this provider"},
	} {
		args := append([]string{"clients", "create", "--name", "Bad", "--redirect-uri", "https://app.example/cb"}, bad.args...)
		if code, _, stderr := c.run("", args...); code == 0 || !strings.Contains(stderr, bad.want) {
			t.Errorf("%v: exit %d, %s; want %q", bad.args, code, stderr, bad.want)
		}
	}
	if code, _, stderr := c.run("", "clients", "update", "--id", def["client_id"], "--id-token-alg", "EdDSA"); code == 0 || !strings.Contains(stderr, "not enabled") {
		t.Errorf("update to a disabled alg: exit %d, %s", code, stderr)
	}
}

// TestClientsRequirePAR: --require-par sets the client's
// require_pushed_authorization_requests (RFC 9126 §6); update flips it.
func TestClientsRequirePAR(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "FAPI", "--require-par",
		"--redirect-uri", "https://fapi.example/cb", "--output", "json"))
	get := func() any {
		return decode[map[string]any](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json"))["require_pushed_authorization_requests"]
	}
	if got := get(); got != true {
		t.Fatalf("require_pushed_authorization_requests = %v, want true", got)
	}
	c.ok("", "clients", "update", "--id", made["client_id"], "--require-par=false")
	if got := get(); got != false {
		t.Fatalf("after --require-par=false: %v, want false", got)
	}
}

// TestClientsExchangeAudience: --exchange-audience sets the client's token
// exchange policy (RFC 8693) on create, update replaces it, and one
// without the token-exchange grant or not an absolute URI is refused.
func TestClientsExchangeAudience(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const grant = "urn:ietf:params:oauth:grant-type:token-exchange"
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "Backend", "--grant-type", grant,
		"--exchange-audience", "https://b.example", "--exchange-audience", "https://c.example/api", "--output", "json"))
	get := func() []string {
		return decode[clientView](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json")).ExchangeAudiences
	}
	if got := get(); strings.Join(got, " ") != "https://b.example https://c.example/api" {
		t.Fatalf("exchange_audiences = %v", got)
	}
	c.ok("", "clients", "update", "--id", made["client_id"], "--exchange-audience", "https://d.example")
	if got := get(); strings.Join(got, " ") != "https://d.example" {
		t.Fatalf("after update: %v", got)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--grant-type", grant, "--exchange-audience", "d.example"}, `exchange audience "d.example": not an absolute URI`},
		{[]string{"--grant-type", "client_credentials", "--exchange-audience", "https://d.example"}, "exchange audiences: only for a client with the " + grant},
	} {
		args := append([]string{"clients", "create", "--name", "Bad"}, bad.args...)
		if code, _, stderr := c.run("", args...); code == 0 || !strings.Contains(stderr, bad.want) {
			t.Errorf("%v: exit %d, %s; want %q", bad.args, code, stderr, bad.want)
		}
	}
}

// TestClientsDPoPBoundAccessTokens: --dpop-bound-access-tokens registers
// the client's dpop_bound_access_tokens (RFC 9449 §5.2); update turns it off.
func TestClientsDPoPBoundAccessTokens(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	made := decode[map[string]string](t, c.ok("", "clients", "create", "--name", "CLI", "--public", "--dpop-bound-access-tokens",
		"--redirect-uri", "http://127.0.0.1/cb", "--output", "json"))
	get := func() bool {
		return decode[clientView](t, c.ok("", "clients", "get", "--id", made["client_id"], "--output", "json")).DPoPBoundAccessTokens
	}
	if !get() {
		t.Fatal("dpop_bound_access_tokens not set")
	}
	c.ok("", "clients", "update", "--id", made["client_id"], "--dpop-bound-access-tokens=false")
	if get() {
		t.Fatal("dpop_bound_access_tokens still set after update")
	}
}
