package main

import (
	"errors"
	"fmt"
	"net"
)

// validateConnectors checks every upstream connector, naming each problem
// by its key (connectors[0].issuer).
func (c Config) validateConnectors() []error {
	var errs []error
	seen := map[string]bool{}
	for i, conn := range c.Connectors {
		prefix := fmt.Sprintf("connectors[%d]", i)
		for _, e := range conn.Validate(prefix) {
			errs = append(errs, errors.New(e))
		}
		if seen[conn.ID] {
			errs = append(errs, fmt.Errorf("%s.id: %q is used by an earlier connector", prefix, conn.ID))
		}
		seen[conn.ID] = true
	}
	if r := c.SSO.DNSResolver; r != "" {
		if _, _, err := net.SplitHostPort(r); err != nil {
			errs = append(errs, fmt.Errorf("sso.dns_resolver: must be host:port, not %q", r))
		}
	}
	return errs
}
