package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

// FuzzClientIP reads X-Forwarded-For as an attacker writes it, behind a
// trusted proxy. Whatever the header says, the answer is one IP address
// (never the header's raw text, which ends up in audit rows and throttle
// keys) that is either the peer or an address the header names.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:443", "203.0.113.7, 10.0.0.2")
	f.Add("10.0.0.1:443", "unknown, [2001:db8::1]:80")
	f.Add("10.0.0.1:443", "::ffff:198.51.100.1%eth0,,,")
	f.Add("198.51.100.9:1", "127.0.0.1")
	f.Add("10.0.0.1:443", "\xff\x00, fe80::1%25lo")
	r, err := New([]string{"10.0.0.0/8", "fd00::/8"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		req := &http.Request{RemoteAddr: peer, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := r.ClientIP(req)
		p, peerIsIP := parseAddr(peer)
		if !peerIsIP {
			return // a non-IP listener's address is passed through as it is
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("ClientIP(%q, %q) = %q, not an address", peer, xff, got)
		}
		if !r.trusts(p) && a != p {
			t.Fatalf("ClientIP(%q, %q) = %q: an untrusted peer is its own client", peer, xff, got)
		}
		_ = Bucket(got)
	})
}

// FuzzParseProxy reads trusted_proxies entries from configuration: any
// accepted entry is a canonical prefix without host bits.
func FuzzParseProxy(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "10.1.2.3/8", "::1", "fd00::/8", "1.2.3.4", "", "/0", "::ffff:1.2.3.4/120"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProxy(s)
		if err != nil {
			return
		}
		if p != p.Masked() {
			t.Fatalf("ParseProxy(%q) = %v with host bits set", s, p)
		}
	})
}
