package main

import (
	"fmt"
	"time"
)

// validateUpkeep checks the key schedule and janitor settings.
func (c Config) validateUpkeep() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	prePublication := c.Keys.PrePublication
	if prePublication == 0 {
		prePublication = c.Keys.JWKSMaxAge
	}
	switch r := c.Keys.RotationInterval; {
	case r < 0:
		bad("keys.rotation_interval", "must not be negative (0 turns scheduled rotation off)")
	case r > 0 && r <= prePublication:
		// Else every key would be replaced before it ever signed.
		bad("keys.rotation_interval", "%v must be longer than the pre-publication delay (%v)", r, prePublication)
	}
	if c.Keys.RefreshInterval <= 0 {
		bad("keys.refresh_interval", "must be a positive duration such as 30s")
	}
	if c.Janitor.Interval < 0 {
		bad("janitor.interval", "must not be negative (0 runs no janitor in serve)")
	}
	if c.Janitor.BatchSize < 1 || c.Janitor.BatchSize > 100000 {
		bad("janitor.batch_size", "must be between 1 and 100000, not %d", c.Janitor.BatchSize)
	}
	if c.Janitor.SentMailRetention <= 0 {
		bad("janitor.sent_mail_retention", "must be a positive duration such as 168h")
	}
	if c.Janitor.FailedMailRetention <= 0 {
		bad("janitor.failed_mail_retention", "must be a positive duration such as 720h")
	}
	if r := c.Janitor.AuditRetention; r < 0 || (r > 0 && r < 24*time.Hour) {
		bad("janitor.audit_retention", "must be 0 (keep forever) or at least 24h")
	}
	return errs
}
