package provider

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/provider/tracing"
)

// OutboundGuard is the address policy of every request the provider sends to
// a URL someone else chose (jwks_uri, back-channel logout, upstream
// providers): cfg.OutboundAllow, or when that is nil and the issuer is on
// loopback, the loopback ranges, so a development setup on one machine can
// reach its own relying parties and test upstreams. Any other issuer, or an
// allow-list given (even an empty one), admits exactly the list.
func OutboundGuard(cfg Config) (outbound.Guard, error) {
	allow, err := outbound.ParseAllow(cfg.OutboundAllow)
	if err != nil {
		return outbound.Guard{}, fmt.Errorf("outbound allow-list: %w", err)
	}
	if cfg.OutboundAllow == nil {
		if u, err := url.Parse(cfg.Issuer); err == nil && clients.IsLoopback(u.Hostname()) {
			allow = outbound.Loopback
		}
	}
	return outbound.Guard{Allow: allow}, nil
}

// upstreamClient talks to upstream identity providers: cfg.UpstreamHTTP
// when given (tests), else the client guarded by g with a longer timeout.
func upstreamClient(cfg Config, g outbound.Guard) (*http.Client, error) {
	if cfg.UpstreamHTTP != nil {
		return cfg.UpstreamHTTP, nil
	}
	return outboundClient(cfg, g, cfg.OutboundLimits.UpstreamTimeout)
}

// outboundClient is the guarded client with cfg's limits and timeout; with
// tracing on, each request is a client span that sends its trace context.
func outboundClient(cfg Config, g outbound.Guard, timeout time.Duration) (*http.Client, error) {
	l := cfg.OutboundLimits
	c, err := outbound.NewClient(outbound.Config{Guard: g, Timeout: timeout, MaxBodyBytes: l.MaxBodyBytes, MaxRedirects: l.MaxRedirects})
	if err == nil && cfg.Tracing != nil {
		c.Transport = tracing.Transport(cfg.Tracing, c.Transport)
	}
	return c, err
}
