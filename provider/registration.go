package provider

import (
	"log/slog"

	"github.com/ostiary/ostiary/provider/audit"
	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/dcr"
	"github.com/ostiary/ostiary/storage"
)

// ClientRegistrationConfig turns on dynamic client registration.
type ClientRegistrationConfig struct {
	Enabled bool
	// Mode is dcr.ModeOpen or dcr.ModeInitialAccessToken (the default).
	Mode dcr.Mode
	// OpenPerIPPerHour caps open registrations per client address and hour
	// (0: dcr.DefaultOpenPerIPPerHour).
	OpenPerIPPerHour int
}

// newClientRegistration returns the registration endpoints, or nil when
// registration is off: then neither the endpoints nor the discovery entry
// exist.
func newClientRegistration(cfg Config, store storage.Store, rec *audit.Recorder, proxies clientip.Resolver, urls dcr.URLChecker, logger *slog.Logger) *dcr.Handler {
	r := cfg.ClientRegistration
	if !r.Enabled {
		return nil
	}
	mode := r.Mode
	if mode != dcr.ModeOpen {
		mode = dcr.ModeInitialAccessToken
	}
	return &dcr.Handler{Store: store, Audit: rec, Mode: mode, Issuer: cfg.Issuer,
		Proxies: proxies, Limits: store, OpenPerIPPerHour: r.OpenPerIPPerHour, URLs: urls, IDTokenAlgs: cfg.signingAlgorithms(), Now: cfg.now, Logger: logger}
}
