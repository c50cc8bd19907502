package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/audit/forward"
)

const auditSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestAuditSinksFromTheFile: a syslog sink and two webhook sinks whose
// secrets come from the environment and from a file reach the provider
// resolved; a sink's facility defaults to auth.
func TestAuditSinksFromTheFile(t *testing.T) {
	t.Parallel()
	secretFile := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(secretFile, []byte(auditSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, `issuer: http://localhost:8080
audit_forwarding:
  sinks:
    - name: papertrail
      type: syslog
      address: logs.example.com:6514
      transport: tls
      events: [login.*, logout]
    - name: siem
      type: webhook
      url: https://siem.example/hook
      secret_env: SIEM_SECRET
    - name: other
      type: webhook
      url: https://other.example/hook
      secret_file: `+secretFile+`
`)
	c, err := loadConfig(p, func(k string) string {
		if k == "SIEM_SECRET" {
			return auditSecret
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	sinks := providerConfig(c, nil).AuditForwarding.Sinks
	if len(sinks) != 3 || sinks[0].Facility != "auth" || sinks[0].Transport != forward.TransportTLS ||
		strings.Join(sinks[0].Events, ",") != "login.*,logout" || sinks[1].Secret.IsZero() || sinks[2].Secret.IsZero() {
		t.Fatalf("sinks: %+v", sinks)
	}
}

// TestAuditSinkProblems: each problem names its key, and no error text
// carries a secret.
func TestAuditSinkProblems(t *testing.T) {
	t.Parallel()
	p := writeFile(t, `issuer: http://localhost:8080
audit_forwarding:
  timeout: 45s
  sinks:
    - name: a
      type: webhook
      url: https://a.example/hook
      secret: "whsec_dG9vIHNob3J0"
    - name: b
      type: webhook
      url: https://b.example/hook
      secret: "`+auditSecret+`"
      secret_env: B_SECRET
    - name: c
      type: webhook
      url: https://c.example/hook
      secret_env: UNSET_SECRET
    - name: d
      type: syslog
      address: logs.example.com:514
      transport: udp
      ca_file: /nonexistent/ca.pem
      events: ["login*"]
    - name: d
      type: webhook
      url: ftp://e.example
`)
	_, err := loadConfig(p, noEnv)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, key := range []string{
		"audit_forwarding.timeout", "audit_forwarding.sinks[0].secret:", "audit_forwarding.sinks[1].secret:",
		"audit_forwarding.sinks[2].secret:", "audit_forwarding.sinks[3].ca_file:", "audit_forwarding.sinks[3].events:",
		"audit_forwarding.sinks[4].name:", "audit_forwarding.sinks[4].url:", "audit_forwarding.sinks[4].secret:",
	} {
		if !strings.Contains(msg, key) {
			t.Errorf("no error for %s:\n%s", key, msg)
		}
	}
	for _, secret := range []string{"dG9vIHNob3J0", strings.TrimPrefix(auditSecret, "whsec_")} {
		if strings.Contains(msg, secret) {
			t.Errorf("an error shows a secret:\n%s", msg)
		}
	}
}

// TestAuditForwardingSettingsProblems: the worker settings are checked
// too, and a sink's keys must fit its type.
func TestAuditForwardingSettingsProblems(t *testing.T) {
	t.Parallel()
	p := writeFile(t, `issuer: http://localhost:8080
janitor:
  forwarded_audit_retention: -1h
audit_forwarding:
  poll_interval: 0s
  retry_backoff: 10s
  max_backoff: 1s
  sinks:
    - name: a
      type: syslog
      address: logs.example.com:514
      transport: tcp
      facility: auth
      url: https://a.example/hook
      max_message_size: 100
    - name: b
      type: webhook
      url: https://b.example/hook
      address: logs.example.com:514
      secret: "`+auditSecret+`"
`)
	_, err := loadConfig(p, noEnv)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, key := range []string{"janitor.forwarded_audit_retention:", "audit_forwarding.poll_interval:", "audit_forwarding.max_backoff:",
		"audit_forwarding.sinks[0].url:", "audit_forwarding.sinks[0].max_message_size:", "audit_forwarding.sinks[1].address:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("no error for %s:\n%v", key, err)
		}
	}
}
