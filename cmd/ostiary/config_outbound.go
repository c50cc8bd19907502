package main

import (
	"fmt"

	"github.com/ostiary/ostiary/provider/outbound"
)

// validateOutbound checks outbound.allow entry by entry, so each error names
// the index and the text at fault.
func (c Config) validateOutbound() []error {
	var errs []error
	for i, s := range c.Outbound.Allow {
		if _, err := outbound.ParseAllow([]string{s}); err != nil {
			errs = append(errs, fmt.Errorf("outbound.allow[%d]: %w", i, err))
		}
	}
	return errs
}

// outboundAllowEnv reads OSTIARY_OUTBOUND_ALLOW: comma-separated CIDRs, or
// "none" for an empty list that also turns off the loopback default of a
// loopback issuer (an empty variable means "not set").
func outboundAllowEnv(v string) []string {
	if v == "none" {
		return []string{}
	}
	return splitList(v)
}
