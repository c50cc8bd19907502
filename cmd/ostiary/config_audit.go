package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/audit/forward"
)

// auditForwarding is the file's audit_forwarding: where audit events go
// besides the database (provider/audit/forward).
type auditForwarding struct {
	PollInterval time.Duration `yaml:"poll_interval"`
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	MaxBackoff   time.Duration `yaml:"max_backoff"`
	Timeout      time.Duration `yaml:"timeout"`
	Sinks        []auditSink   `yaml:"sinks"`

	// resolved are the sinks with their secrets and CA files read
	// (loadConfig); resolveErrs what could not be read.
	resolved    []forward.SinkConfig
	resolveErrs []error
}

// auditSink is one sink in the file. The webhook secret comes from
// exactly one of secret, secret_env (a variable's name) or secret_file.
type auditSink struct {
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type"`
	Events []string `yaml:"events"`

	Address        string `yaml:"address"`
	Transport      string `yaml:"transport"`
	Facility       string `yaml:"facility"`
	AppName        string `yaml:"app_name"`
	Hostname       string `yaml:"hostname"`
	MaxMessageSize int    `yaml:"max_message_size"`
	CAFile         string `yaml:"ca_file"`
	ServerName     string `yaml:"server_name"`

	URL        string `yaml:"url"`
	Secret     string `yaml:"secret"`
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
}

// resolveAuditSinks reads the sinks' secrets and CA files, keeping what
// it could not read for Validate; it never puts a secret in an error.
func (c *Config) resolveAuditSinks(getenv func(string) string) {
	f := &c.AuditForwarding
	if len(f.Sinks) == 0 {
		f.Sinks = nil
		return
	}
	f.resolved, f.resolveErrs = nil, nil
	bad := func(i int, field, format string, args ...any) {
		f.resolveErrs = append(f.resolveErrs, fmt.Errorf("audit_forwarding.sinks[%d].%s: %s", i, field, fmt.Sprintf(format, args...)))
	}
	for i, s := range f.Sinks {
		out := forward.SinkConfig{Name: s.Name, Type: s.Type, Events: s.Events, Address: s.Address, Transport: s.Transport,
			Facility: s.Facility, AppName: s.AppName, Hostname: s.Hostname, MaxMessageSize: s.MaxMessageSize,
			ServerName: s.ServerName, URL: s.URL}
		if s.Type == forward.TypeSyslog && out.Facility == "" {
			out.Facility = "auth"
		}
		if s.CAFile != "" {
			pem, err := os.ReadFile(s.CAFile)
			roots := x509.NewCertPool()
			switch {
			case err != nil:
				bad(i, "ca_file", "%v", err)
			case !roots.AppendCertsFromPEM(pem):
				bad(i, "ca_file", "%s holds no PEM certificate", s.CAFile)
			default:
				out.RootCAs = roots
			}
		}
		raw, from, err := sinkSecret(s, getenv)
		switch {
		case err != nil:
			bad(i, "secret", "%v", err)
		case raw != "":
			if out.Secret, err = forward.ParseSecret(raw); err != nil {
				bad(i, from, "%v", err)
			}
		}
		f.resolved = append(f.resolved, out)
	}
}

// sinkSecret is the webhook secret from the one place the sink names, and
// the key that named it.
func sinkSecret(s auditSink, getenv func(string) string) (secret, from string, err error) {
	n := 0
	for _, v := range []string{s.Secret, s.SecretEnv, s.SecretFile} {
		if v != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return "", "", errors.New("give one of secret, secret_env and secret_file")
	case s.Secret != "":
		return s.Secret, "secret", nil
	case s.SecretEnv != "":
		v := getenv(s.SecretEnv)
		if v == "" {
			return "", "", fmt.Errorf("secret_env: the variable %s is empty or unset", s.SecretEnv)
		}
		return v, "secret_env", nil
	case s.SecretFile != "":
		b, err := os.ReadFile(s.SecretFile)
		if err != nil {
			return "", "", fmt.Errorf("secret_file: %w", err)
		}
		return strings.TrimSpace(string(b)), "secret_file", nil
	}
	return "", "", nil
}

// validateAuditForwarding checks the worker settings and the sinks.
func (c Config) validateAuditForwarding() []error {
	f := c.AuditForwarding
	var errs []error
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"audit_forwarding.poll_interval", f.PollInterval},
		{"audit_forwarding.retry_backoff", f.RetryBackoff},
		{"audit_forwarding.max_backoff", f.MaxBackoff},
		{"audit_forwarding.timeout", f.Timeout},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be a positive duration", d.key))
		}
	}
	if f.MaxBackoff < f.RetryBackoff {
		errs = append(errs, errors.New("audit_forwarding.max_backoff: must not be shorter than retry_backoff"))
	}
	if f.Timeout*2 >= forward.DefaultLease {
		errs = append(errs, fmt.Errorf("audit_forwarding.timeout: must be under %v", forward.DefaultLease/2))
	}
	if r := c.Janitor.ForwardedAuditRetention; r < 0 {
		errs = append(errs, errors.New("janitor.forwarded_audit_retention: must be 0 (keep) or a positive duration"))
	}
	errs = append(errs, f.resolveErrs...)
	return append(errs, forward.Validate("audit_forwarding.sinks", f.resolved)...)
}
