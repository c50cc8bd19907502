package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The example file documents every key with its default: decoding it must
// give exactly the built-in defaults, and it must name every key.
func TestExampleConfigIsTheDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig("../../config.example.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if want := defaultConfig(); !reflect.DeepEqual(c, want) {
		t.Fatalf("config.example.yaml differs from defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "issuer: not a url\nlisten: 127.0.0.1:9000\nbogus: 1\ntokens:\n  access_token_lifespan: 5m\n  colour: blue\n")
	_, err := loadConfig(p, noEnv)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{"field bogus not found", "field colour not found", "issuer:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if n := len(strings.Split(msg, "\n")); n != 3 {
		t.Errorf("want 3 problems, one per line; got %d:\n%s", n, msg)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "issuer: https://file.example\n")
	env := map[string]string{
		"OSTIARY_ISSUER":         "https://env.example",
		"OSTIARY_DATABASE":       "postgres://u@127.0.0.1/db",
		"OSTIARY_SECRETS_SYSTEM": strings.Repeat("a", 32) + "," + strings.Repeat("b", 40),
		"OSTIARY_MAIL_SMTP_HOST": "smtp.env.example",
	}
	c, err := loadConfig(p, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://env.example" || len(c.Secrets.System) != 2 || c.Database != env["OSTIARY_DATABASE"] {
		t.Fatalf("environment not applied: %+v", c)
	}
}

func TestPostgresRequiresSharedSecret(t *testing.T) {
	t.Parallel()
	_, err := loadConfig("", func(k string) string {
		if k == "OSTIARY_DATABASE" {
			return "postgres://u@127.0.0.1/db"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "secrets.system") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "issuer: http://idp.example.com\nsecrets:\n  system: [short]\nkeys:\n  rsa_bits: 1024\nlog:\n  level: loud\n")
	_, err := loadConfig(p, noEnv)
	for _, want := range []string{"issuer: ", "must use https", "secrets.system[0]", "keys.rsa_bits", "log.level"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
}

func TestEmbeddedModeGeneratesSecretOnce(t *testing.T) {
	t.Parallel()
	c := defaultConfig()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	first, generated, err := c.systemSecrets()
	if err != nil || !generated || len(first[0]) < 32 {
		t.Fatalf("first: %q %v %v", first, generated, err)
	}
	fi, err := os.Stat(filepath.Join(c.DataDir, "secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	again, generated, err := c.systemSecrets()
	if err != nil || generated || string(again[0]) != string(first[0]) {
		t.Fatalf("second read changed the secret: %q %v %v", again, generated, err)
	}
}

func TestMailConfig(t *testing.T) {
	t.Parallel()
	// A public issuer needs SMTP: development mode would put the links
	// of every mail into the log.
	p := writeFile(t, "issuer: https://id.example\nsecrets:\n  system: ["+strings.Repeat("s", 32)+"]\n")
	if _, err := loadConfig(p, noEnv); err == nil || !strings.Contains(err.Error(), "mail.smtp.host") {
		t.Fatalf("public issuer without SMTP: %v", err)
	}
	p = writeFile(t, `issuer: https://id.example
mail:
  from: "not an address"
  smtp:
    host: smtp.example
    port: 0
    tls: maybe
    password: pw
    timeout: 1m
  lease: 30s
  max_attempts: 0
registration:
  mode: closed
passwords:
  min_length: 6
`)
	_, err := loadConfig(p, noEnv)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"mail.from", "mail.smtp.port", "mail.smtp.tls", "mail.smtp.username", "mail.lease",
		"mail.max_attempts", "registration.mode", "passwords.min_length"} {
		if !strings.Contains(err.Error(), want+":") {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	p = writeFile(t, "mail:\n  smtp:\n    host: smtp.example\n    tls: none\n    username: u\n")
	if _, err := loadConfig(p, noEnv); err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("a password over plain SMTP: %v", err)
	}
	c, err := loadConfig(writeFile(t, "mail:\n  smtp:\n    host: smtp.example\n    tls: tls\n    port: 465\n    username: u\n"),
		func(k string) string { return map[string]string{"OSTIARY_MAIL_SMTP_PASSWORD": "from-env"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := mailConfig(c)
	if m.SMTP == nil || m.SMTP.Host != "smtp.example" || m.SMTP.Port != 465 || m.SMTP.TLS != "tls" || m.SMTP.Password != "from-env" {
		t.Fatalf("mail config: %+v", m.SMTP)
	}
	if mailConfig(defaultConfig()).SMTP != nil {
		t.Fatal("the default config has an SMTP server")
	}
}

func TestConnectorConfigProblems(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	cfg := "connectors:\n  - id: corp\n    type: oidc\n    name: Corp\n    client_id: x\n    client_secret: y\n" +
		"  - id: corp\n    type: github\n    name: GH\n    client_id: x\n    client_secret: y\n" +
		"  - id: bad\n    type: ldap\n    nme: typo\nsso:\n  dns_resolver: nowhere\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(path, noEnv)
	if err == nil {
		t.Fatal("bad connectors accepted")
	}
	// Unknown keys are reported by the strict decoder before validation.
	if !strings.Contains(err.Error(), "nme") {
		t.Fatalf("typo not reported: %v", err)
	}
	cfg = strings.Replace(cfg, "    nme: typo\n", "", 1)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadConfig(path, noEnv)
	for _, want := range []string{"connectors[0].issuer", "connectors[1].id", "connectors[2].type", "connectors[2].name", "sso.dns_resolver"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no problem reported for %s: %v", want, err)
		}
	}
}

// keys.algorithms must name known algorithms and RS256 (OpenID Connect Core
// §15.1); tokens.access_token_alg must be one of them.
func TestConfigSigningAlgorithms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ yaml, want string }{
		{"keys:\n  algorithms: [ES256]\n", "keys.algorithms: must include RS256"},
		{"keys:\n  algorithms: [RS256, HS256]\n", `keys.algorithms: "HS256" is not one of RS256, ES256, EdDSA`},
		{"tokens:\n  access_token_alg: ES256\n", `tokens.access_token_alg: "ES256" must be one of keys.algorithms (RS256)`},
	} {
		_, err := loadConfig(writeFile(t, "issuer: https://idp.example.com\n"+c.yaml), noEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
	cfg, err := loadConfig(writeFile(t, "issuer: http://127.0.0.1:8080\nkeys:\n  algorithms: [RS256, EdDSA]\ntokens:\n  access_token_alg: EdDSA\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if p := providerConfig(cfg, nil); len(p.SigningAlgorithms) != 2 || p.AccessTokenAlg != "EdDSA" {
		t.Errorf("provider config: algorithms %v, access token alg %q", p.SigningAlgorithms, p.AccessTokenAlg)
	}
}

// TestPushedRequestConfig: oauth.require_pushed_authorization_requests
// reaches the provider; pushed_request_lifespan stays within 10s..10m.
func TestPushedRequestConfig(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(writeFile(t, "oauth:\n  require_pushed_authorization_requests: true\n  pushed_request_lifespan: 60s\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if p := providerConfig(c, nil); !p.RequirePushedAuthorizationRequests || p.PushedRequestLifespan.Seconds() != 60 {
		t.Fatalf("provider config: require %v, lifespan %v", p.RequirePushedAuthorizationRequests, p.PushedRequestLifespan)
	}
	for _, bad := range []string{"1s", "1h"} {
		_, err := loadConfig(writeFile(t, "oauth:\n  pushed_request_lifespan: "+bad+"\n"), noEnv)
		if err == nil || !strings.Contains(err.Error(), "oauth.pushed_request_lifespan") {
			t.Errorf("lifespan %s: %v", bad, err)
		}
	}
}
