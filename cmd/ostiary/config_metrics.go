package main

import (
	"fmt"
	"net"
)

// validateMetrics checks the metrics listener: never one of the other two,
// so /metrics cannot end up on the public port.
func (c Config) validateMetrics() []error {
	if c.Metrics.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
		return []error{fmt.Errorf("metrics.listen: %q is not host:port", c.Metrics.Listen)}
	}
	if c.Metrics.Listen == c.Listen || c.Metrics.Listen == c.Admin.Listen {
		return []error{fmt.Errorf("metrics.listen: %q is already the main or the admin listener; metrics need an address of their own", c.Metrics.Listen)}
	}
	return nil
}
