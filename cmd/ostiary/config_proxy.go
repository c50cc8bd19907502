package main

import (
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/provider/clientip"
)

// validateProxies checks server.trusted_proxies entry by entry, so each
// error names the index and the text at fault.
func (c Config) validateProxies() []error {
	var errs []error
	for i, s := range c.Server.TrustedProxies {
		if _, err := clientip.ParseProxy(s); err != nil {
			errs = append(errs, fmt.Errorf("server.trusted_proxies[%d]: %w", i, err))
		}
	}
	return errs
}

// splitList reads a comma-separated environment value.
func splitList(v string) []string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
