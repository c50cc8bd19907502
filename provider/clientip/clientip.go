package clientip

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of a request. The zero value trusts no
// proxy: the client is the connection's peer and headers are ignored.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver that trusts the proxies in entries, each a CIDR
// (10.0.0.0/8, fd00::/8) or a single address (an IPv4 /32, an IPv6 /128).
// The error names every bad entry.
func New(entries []string) (Resolver, error) {
	var errs []error
	prefixes := make([]netip.Prefix, 0, len(entries))
	for _, s := range entries {
		p, err := ParseProxy(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		prefixes = append(prefixes, p)
	}
	if err := errors.Join(errs...); err != nil {
		return Resolver{}, err
	}
	return Resolver{trusted: prefixes}, nil
}

// ParseProxy parses one trusted proxy entry. It refuses a CIDR with host bits
// set (10.1.2.3/8): trusting a whole network where one host was meant would
// let that network forge addresses, so the operator must say which.
func ParseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q: not a CIDR such as 10.0.0.0/8 or fd00::/8", s)
		}
		if p.Addr().Is4In6() {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q: write an IPv4-mapped network as IPv4", s)
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q: has host bits set; write %s for the network or %s for the one address",
				s, p.Masked(), netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: not an IP address or CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ClientIP returns the client address of req in canonical text form, without
// port or zone.
//
// A peer that is not a trusted proxy is the client, whatever it sends. From a
// trusted peer, X-Forwarded-For (all its lines, as one comma-separated list)
// is read from the right, the end the nearest proxy appended: trusted
// addresses are proxies in the chain and are skipped, the first untrusted one
// is the client. When every entry is trusted the leftmost is the client. An
// entry that is not an address ends the walk: whatever stands left of it was
// written by something no trusted proxy vouches for, so the last address
// read (or the peer) is the answer.
//
// The RFC 7239 Forwarded header is not read. A proxy that sets one of the two
// headers passes the other through from the client untouched, so reading
// both would let a client forge its address; X-Forwarded-For is what common
// proxies append.
func (r Resolver) ClientIP(req *http.Request) string {
	peer, ok := parseAddr(req.RemoteAddr)
	if !ok {
		// Not an IP peer (a test's or a custom listener's address): keep
		// what the connection says, without a port.
		if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
			return host
		}
		return req.RemoteAddr
	}
	if !r.trusts(peer) {
		return peer.String()
	}
	lines := req.Header.Values("X-Forwarded-For")
	if len(lines) == 0 {
		return peer.String()
	}
	chain := strings.Split(strings.Join(lines, ","), ",")
	client := peer
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(chain[i]))
		if !ok {
			break
		}
		client = a
		if !r.trusts(a) {
			break
		}
	}
	return client.String()
}

func (r Resolver) trusts(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads an address as a peer or a proxy writes it: bare, with a
// port (1.2.3.4:5, [2001:db8::1]:5) or in brackets. The zone is dropped and
// an IPv4-mapped IPv6 address becomes IPv4, so one client has one spelling.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			a = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || a.Is4() {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	return a.WithZone("").Unmap(), true
}

// Bucket is the key a per-address limit counts ip under: an IPv4 address
// itself, an IPv6 address's /64 network. One IPv6 host usually holds a whole
// /64 and may pick any address in it, so counting single addresses would let
// it step past the limit by changing address. Anything that is not an
// address is returned as it is.
func Bucket(ip string) string {
	a, ok := parseAddr(ip)
	if !ok {
		return ip
	}
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // cannot fail: a is IPv6 without a zone
	return p.String()
}
