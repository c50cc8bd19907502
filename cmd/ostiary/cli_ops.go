package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/storage"
)

func migrateUpCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		c, err := loadConfig(cf.config, e.getenv)
		if err != nil {
			return err
		}
		b, err := openBackend(ctx, c)
		if err != nil {
			return err
		}
		defer b.Close()
		applied, err := b.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if cf.output == "json" {
			return printJSON(e.stdout, map[string]any{"applied": applied})
		}
		for _, name := range applied {
			fmt.Fprintf(e.stdout, "applied %s\n", name)
		}
		fmt.Fprintln(e.stdout, "database schema is current")
		return nil
	}
}

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

// withKeys runs fn with the key manager serve would use.
func withKeys(ctx context.Context, e env, cf *commonFlags, fn func(*keys.Manager) error) error {
	return withStore(ctx, e, cf, func(c Config, st backend) error {
		system, generated, err := c.systemSecrets()
		if err != nil {
			return err
		}
		log := newLogger(c, e.stderr)
		logGeneratedSecret(log, c, generated)
		m, err := provider.NewKeyManager(providerConfig(c, system), st, log)
		if err != nil {
			return err
		}
		return fn(m)
	})
}

func logGeneratedSecret(log *slog.Logger, c Config, generated bool) {
	if generated {
		log.Info("generated the system secret for embedded mode; keep it with the database", "path", c.DataDir+"/secret")
	}
}

func keysListCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withKeys(ctx, e, cf, func(m *keys.Manager) error {
			if err := m.Ensure(ctx); err != nil {
				return fmt.Errorf("ensure a signing key: %w", err)
			}
			ks, err := m.List(ctx)
			if err != nil {
				return fmt.Errorf("list keys: %w", err)
			}
			if cf.output == "json" {
				return printJSON(e.stdout, ks)
			}
			rows := make([][]string, len(ks))
			for i, k := range ks {
				rows[i] = []string{k.ID, k.Algorithm, k.State, formatTime(k.CreatedAt), formatTime(k.ActiveFrom), formatTime(k.UnpublishAt)}
			}
			return printTable(e.stdout, []string{"KID", "ALG", "STATE", "CREATED", "SIGNS FROM", "UNPUBLISHED AT"}, rows)
		})
	}
}

func keysRotateCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		return withKeys(ctx, e, cf, func(m *keys.Manager) error {
			if err := m.Ensure(ctx); err != nil {
				return fmt.Errorf("ensure a signing key: %w", err)
			}
			k, err := m.Rotate(ctx)
			if err != nil {
				return fmt.Errorf("rotate: %w", err)
			}
			if err := auditKeyRotated(ctx, m.Store.(storage.AuditStore), k); err != nil {
				return fmt.Errorf("rotate: key %s published, but: %w", k.ID, err)
			}
			if cf.output == "json" {
				return printJSON(e.stdout, map[string]any{"kid": k.ID, "active_from": k.ActiveFrom})
			}
			fmt.Fprintf(e.stdout, "published key %s; it signs from %s (until then the current key does)\n", k.ID, formatTime(k.ActiveFrom))
			return nil
		})
	}
}
