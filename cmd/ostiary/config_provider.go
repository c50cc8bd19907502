package main

import (
	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/mail"
)

// link is one setting the file and the provider both hold, of one type.
type link struct{ toFile, toProvider func() }

func linked[T any](file, prov *T) link {
	return link{toFile: func() { *file = *prov }, toProvider: func() { *prov = *file }}
}

// links are the settings the file and provider.Config hold alike:
// defaultConfig takes them from provider.DefaultConfig, providerConfig
// gives them to the provider. The rest is converted by hand in both.
func links(c *Config, p *provider.Config) []link {
	t, k, j, m := &c.Tokens, &c.Keys, &c.Janitor, &c.Mail
	return []link{
		linked(&t.AccessTokenLifespan, &p.AccessTokenLifespan),
		linked(&t.RefreshTokenLifespan, &p.RefreshTokenLifespan),
		linked(&t.RefreshFamilyLifetime, &p.RefreshFamilyLifetime),
		linked(&t.RefreshGracePeriod, &p.RefreshGracePeriod),
		linked(&t.AuthorizeCodeLifespan, &p.AuthorizeCodeLifespan),
		linked(&t.IDTokenLifespan, &p.IDTokenLifespan),
		linked(&t.PATExchangeLifespan, &p.PATExchangeLifespan),
		linked(&t.DeviceCodeLifespan, &p.DeviceCodeLifespan),
		linked(&t.DevicePollInterval, &p.DevicePollInterval),
		linked(&t.DefaultAudience, &p.DefaultAudience),
		linked(&c.OAuth.RequirePushedAuthorizationRequests, &p.RequirePushedAuthorizationRequests),
		linked(&c.OAuth.PushedRequestLifespan, &p.PushedRequestLifespan),
		linked(&k.RSABits, &p.RSABits),
		linked(&k.Algorithms, &p.SigningAlgorithms),
		linked(&t.AccessTokenAlg, &p.AccessTokenAlg),
		linked(&t.DPoPNonces, &p.DPoPNonces),
		linked(&k.JWKSMaxAge, &p.JWKSMaxAge),
		linked(&k.PrePublication, &p.PrePublication),
		linked(&k.RotationInterval, &p.RotationInterval),
		linked(&k.RefreshInterval, &p.KeyRefreshInterval),
		linked(&j.Interval, &p.Janitor.Interval),
		linked(&j.BatchSize, &p.Janitor.BatchSize),
		linked(&j.SentMailRetention, &p.Janitor.SentMailRetention),
		linked(&j.FailedMailRetention, &p.Janitor.FailedMailRetention),
		linked(&j.AuditRetention, &p.Janitor.AuditRetention),
		linked(&j.ForwardedAuditRetention, &p.Janitor.ForwardedAuditRetention),
		linked(&c.AuditForwarding.PollInterval, &p.AuditForwarding.PollInterval),
		linked(&c.AuditForwarding.RetryBackoff, &p.AuditForwarding.Backoff),
		linked(&c.AuditForwarding.MaxBackoff, &p.AuditForwarding.MaxBackoff),
		linked(&c.AuditForwarding.Timeout, &p.AuditForwarding.Timeout),
		linked(&c.Sessions.Lifetime, &p.SessionLifetime),
		linked(&c.Sessions.IdleTimeout, &p.SessionIdleTimeout),
		linked(&c.Login.MaxFailuresPerAccount, &p.MaxFailuresPerAccount),
		linked(&c.Login.MaxFailuresPerIP, &p.MaxFailuresPerIP),
		linked(&c.Login.FailureWindow, &p.FailureWindow),
		linked(&c.Registration.Enabled, &p.Registration),
		linked(&c.Registration.VerifyEmailLifetime, &p.VerifyEmailLifetime),
		linked(&c.Passwords.MinLength, &p.PasswordMinLength),
		linked(&c.Passwords.ResetLifetime, &p.ResetPasswordLifetime),
		linked(&m.From, &p.Mail.From),
		linked(&m.MaxAttempts, &p.Mail.MaxAttempts),
		linked(&m.RetryBackoff, &p.Mail.RetryBackoff),
		linked(&m.MaxBackoff, &p.Mail.MaxBackoff),
		linked(&m.Lease, &p.Mail.Lease),
		linked(&m.PollInterval, &p.Mail.PollInterval),
		linked(&m.MaxPerAddressPerHour, &p.Mail.MaxPerAddressPerHour),
		linked(&c.DCR.Enabled, &p.ClientRegistration.Enabled),
		linked(&c.DCR.OpenPerIPPerHour, &p.ClientRegistration.OpenPerIPPerHour),
		linked(&c.Connectors, &p.Connectors),
		linked(&c.SSO.DNSResolver, &p.DNSResolver),
		linked(&c.Server.TrustedProxies, &p.TrustedProxies),
		linked(&c.Outbound.Allow, &p.OutboundAllow),
	}
}

// providerConfig turns the file configuration into the provider's, with
// the system secrets resolved; what the file does not hold keeps
// provider.DefaultConfig's value.
func providerConfig(c Config, system [][]byte) provider.Config {
	p := provider.DefaultConfig()
	for _, l := range links(&c, &p) {
		l.toProvider()
	}
	p.Issuer, p.Secrets = c.Issuer, system
	p.DisableDeviceCookies = !c.Login.DeviceCookies
	p.InviteOnly = c.Registration.Mode == "invite_only"
	p.ClientRegistration.Mode = dcr.Mode(c.DCR.Mode)
	if s := c.Mail.SMTP; s.Host != "" {
		p.Mail.SMTP = &mail.SMTP{Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, Password: s.Password, Timeout: s.Timeout}
	}
	p.AdminSeparate = c.Admin.Listen != ""
	p.AuditForwarding.Sinks = c.AuditForwarding.resolved
	p.Attributes = c.Attributes.resolved
	return p
}

// mailConfig is the provider's mail settings from the file's.
func mailConfig(c Config) provider.MailConfig { return providerConfig(c, nil).Mail }
