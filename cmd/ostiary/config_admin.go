package main

import (
	"fmt"
	"net"
)

// validateAdmin checks the admin API's listener.
func (c Config) validateAdmin() []error {
	if c.Admin.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
		return []error{fmt.Errorf("admin.listen: %q is not host:port", c.Admin.Listen)}
	}
	if c.Admin.Listen == c.Listen {
		return []error{fmt.Errorf("admin.listen: %q is the main listener; leave admin.listen empty to serve the API there", c.Admin.Listen)}
	}
	return nil
}
