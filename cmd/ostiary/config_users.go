package main

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clients"
)

// validateUsers checks the registration, password and mail settings.
func (c Config) validateUsers() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch c.Registration.Mode {
	case "open", "invite_only":
	default:
		bad("registration.mode", "must be open or invite_only, not %q", c.Registration.Mode)
	}
	if c.Registration.VerifyEmailLifetime <= 0 || c.Registration.VerifyEmailLifetime > 7*24*time.Hour {
		bad("registration.verify_email_lifetime", "must be a positive duration of at most 168h")
	}
	if c.Passwords.MinLength < accounts.MinPolicyLength || c.Passwords.MinLength > accounts.MaxPolicyLength {
		bad("passwords.min_length", "must be between %d (NIST SP 800-63B) and %d, not %d",
			accounts.MinPolicyLength, accounts.MaxPolicyLength, c.Passwords.MinLength)
	}
	if c.Passwords.ResetLifetime <= 0 || c.Passwords.ResetLifetime > 24*time.Hour {
		bad("passwords.reset_lifetime", "must be a positive duration of at most 24h")
	}
	if a, err := mail.ParseAddress(c.Mail.From); err != nil || strings.ContainsAny(c.Mail.From, "\r\n") {
		bad("mail.from", "%q is not an address such as \"Ostiary <id@example.com>\"", c.Mail.From)
	} else if !strings.Contains(a.Address, "@") {
		bad("mail.from", "%q has no domain", c.Mail.From)
	}
	smtp := c.Mail.SMTP
	if smtp.Host == "" {
		// Development mode writes the mails, links and all, to the log and
		// lists them on /dev/mail: never for a server others can reach.
		if u, err := url.Parse(c.Issuer); err == nil && u.Host != "" && !clients.IsLoopback(u.Hostname()) {
			bad("mail.smtp.host", "required when the issuer is not on loopback: without SMTP, mails (and the sign-in links in them) are only written to the log")
		}
	} else {
		if strings.ContainsAny(smtp.Host, " /:") {
			bad("mail.smtp.host", "%q must be a host name or IP address, without port", smtp.Host)
		}
		if smtp.Port < 1 || smtp.Port > 65535 {
			bad("mail.smtp.port", "must be between 1 and 65535, not %d", smtp.Port)
		}
		switch smtp.TLS {
		case "starttls", "tls":
		case "none":
			if smtp.Username != "" && !clients.IsLoopback(smtp.Host) {
				bad("mail.smtp.tls", "none would send the SMTP password unencrypted: use starttls or tls")
			}
		default:
			bad("mail.smtp.tls", "must be starttls, tls or none, not %q", smtp.TLS)
		}
		if smtp.Password != "" && smtp.Username == "" {
			bad("mail.smtp.username", "required with mail.smtp.password")
		}
	}
	if smtp.Timeout <= 0 {
		bad("mail.smtp.timeout", "must be a positive duration such as 30s")
	}
	if c.Mail.Lease <= smtp.Timeout {
		bad("mail.lease", "must be longer than mail.smtp.timeout (%v), or a slow delivery could be sent twice by another replica", smtp.Timeout)
	}
	if c.Mail.MaxAttempts < 1 {
		bad("mail.max_attempts", "must be at least 1")
	}
	if c.Mail.RetryBackoff <= 0 {
		bad("mail.retry_backoff", "must be a positive duration such as 30s")
	}
	if c.Mail.MaxBackoff < c.Mail.RetryBackoff {
		bad("mail.max_backoff", "must be at least mail.retry_backoff")
	}
	if c.Mail.PollInterval <= 0 {
		bad("mail.poll_interval", "must be a positive duration such as 5s")
	}
	if c.Mail.MaxPerAddressPerHour < 1 {
		bad("mail.max_per_address_per_hour", "must be at least 1")
	}
	return errs
}
