package main

import (
	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/mail"
)

// providerConfig turns the file configuration into the provider's, with
// the system secrets resolved.
func providerConfig(c Config, system [][]byte) provider.Config {
	return provider.Config{
		Issuer:                c.Issuer,
		Secrets:               system,
		AccessTokenLifespan:   c.Tokens.AccessTokenLifespan,
		RefreshTokenLifespan:  c.Tokens.RefreshTokenLifespan,
		RefreshFamilyLifetime: c.Tokens.RefreshFamilyLifetime,
		RefreshGracePeriod:    c.Tokens.RefreshGracePeriod,
		AuthorizeCodeLifespan: c.Tokens.AuthorizeCodeLifespan,
		IDTokenLifespan:       c.Tokens.IDTokenLifespan,
		PATExchangeLifespan:   c.Tokens.PATExchangeLifespan,
		DefaultAudience:       c.Tokens.DefaultAudience,
		RSABits:               c.Keys.RSABits,
		JWKSMaxAge:            c.Keys.JWKSMaxAge,
		PrePublication:        c.Keys.PrePublication,
		RotationInterval:      c.Keys.RotationInterval,
		KeyRefreshInterval:    c.Keys.RefreshInterval,
		Janitor: provider.JanitorConfig{
			Interval: c.Janitor.Interval, BatchSize: c.Janitor.BatchSize,
			SentMailRetention: c.Janitor.SentMailRetention, FailedMailRetention: c.Janitor.FailedMailRetention,
			AuditRetention: c.Janitor.AuditRetention,
		},
		SessionLifetime:       c.Sessions.Lifetime,
		SessionIdleTimeout:    c.Sessions.IdleTimeout,
		MaxFailuresPerAccount: c.Login.MaxFailuresPerAccount,
		MaxFailuresPerIP:      c.Login.MaxFailuresPerIP,
		FailureWindow:         c.Login.FailureWindow,
		DisableDeviceCookies:  !c.Login.DeviceCookies,
		Registration:          c.Registration.Enabled,
		Connectors:            c.Connectors,
		DNSResolver:           c.SSO.DNSResolver,
		InviteOnly:            c.Registration.Mode == "invite_only",
		VerifyEmailLifetime:   c.Registration.VerifyEmailLifetime,
		ResetPasswordLifetime: c.Passwords.ResetLifetime,
		PasswordMinLength:     c.Passwords.MinLength,
		Mail:                  mailConfig(c),
		ClientRegistration: provider.ClientRegistrationConfig{Enabled: c.DCR.Enabled, Mode: dcr.Mode(c.DCR.Mode),
			OpenPerIPPerHour: c.DCR.OpenPerIPPerHour},
		AdminSeparate:  c.Admin.Listen != "",
		TrustedProxies: c.Server.TrustedProxies,
		OutboundAllow:  c.Outbound.Allow,
	}
}

func mailConfig(c Config) provider.MailConfig {
	m := provider.MailConfig{
		From:                 c.Mail.From,
		MaxAttempts:          c.Mail.MaxAttempts,
		RetryBackoff:         c.Mail.RetryBackoff,
		MaxBackoff:           c.Mail.MaxBackoff,
		Lease:                c.Mail.Lease,
		PollInterval:         c.Mail.PollInterval,
		MaxPerAddressPerHour: c.Mail.MaxPerAddressPerHour,
	}
	if s := c.Mail.SMTP; s.Host != "" {
		m.SMTP = &mail.SMTP{Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, Password: s.Password, Timeout: s.Timeout}
	}
	return m
}
