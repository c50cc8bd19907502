package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ErrRefused is wrapped by every error for an address the guard refuses.
var ErrRefused = errors.New("outbound: address not allowed")

// refused are the special-purpose ranges (IANA IPv4 and IPv6
// Special-Purpose Address Registries) that are not the public Internet:
// this host, its networks, link-local (cloud metadata at 169.254.169.254),
// private and shared address space, documentation, benchmarking, multicast,
// reserved, and the IPv6 prefixes that embed an IPv4 address (NAT64, 6to4)
// and so could reach any of the IPv4 ranges.
var refused = mustPrefixes(
	"0.0.0.0/8",       // "this network"
	"10.0.0.0/8",      // private (RFC 1918)
	"100.64.0.0/10",   // shared address space, carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata services
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation (TEST-NET-1)
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation (TEST-NET-2)
	"203.0.113.0/24",  // documentation (TEST-NET-3)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and the limited broadcast address
	"::/96",           // unspecified, and the IPv4-compatible ::a.b.c.d
	"::1/128",         // loopback
	"64:ff9b::/96",    // NAT64 (RFC 6052)
	"64:ff9b:1::/48",  // local-use NAT64 (RFC 8215)
	"100::/64",        // discard-only
	"2001::/23",       // IETF protocol assignments, Teredo included
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4
	"fc00::/7",        // unique local
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

// Loopback is what a development setup on a loopback issuer allows.
var Loopback = mustPrefixes("127.0.0.0/8", "::1/128")

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// ParseAllow parses an allow-list: CIDRs or single addresses, IPv4 or IPv6.
// A CIDR with host bits set (10.1.2.3/8) is refused, since it reads as a
// single address but would admit the whole range. Every bad entry is
// reported.
func ParseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, s := range list {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				errs = append(errs, fmt.Errorf("%q is not an IP address or CIDR", s))
				continue
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%q is not an IP address or CIDR", s))
		case p.Masked() != p:
			errs = append(errs, fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked()))
		default:
			out = append(out, p)
		}
	}
	return out, errors.Join(errs...)
}

// Guard decides which addresses outbound requests may reach: every public
// address, and of the refused ranges only what Allow names.
type Guard struct {
	Allow []netip.Prefix
	// Resolver looks names up for CheckURL; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// CheckAddr reports whether a connection to a may be made: nil, or an
// error wrapping ErrRefused.
func (g *Guard) CheckAddr(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, p := range g.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	for _, p := range refused {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is in %s (add it to outbound.allow to permit it)", ErrRefused, a, p)
		}
	}
	if !a.IsValid() {
		return fmt.Errorf("%w: no address", ErrRefused)
	}
	return nil
}

// CheckURL resolves the host of raw and refuses it when any of its
// addresses is refused: what a registration checks so a client learns at
// once that its URL cannot be used. The connection is checked again when
// it is made (a name may resolve differently then). A name that does not
// resolve now is not refused here: the connection's check still applies.
// Only the address is judged: whether raw is a well-formed URL of the right
// scheme is the caller's rule, and an unparsable one passes.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return g.CheckAddr(a)
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return fmt.Errorf("%s: %w", host, err)
		}
	}
	return nil
}
