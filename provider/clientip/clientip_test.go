package clientip

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		trusted []string
		peer    string
		xff     []string // header lines
		want    string
	}{
		{"no proxies: peer", nil, "203.0.113.5:4000", nil, "203.0.113.5"},
		{"no proxies: header ignored", nil, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"no proxies: IPv6 peer", nil, "[2001:db8::1]:443", []string{"198.51.100.1"}, "2001:db8::1"},
		{"untrusted peer spoofing", []string{"10.0.0.0/8"}, "203.0.113.5:4000", []string{"10.0.0.1, 198.51.100.1"}, "203.0.113.5"},
		{"trusted peer without header", []string{"10.0.0.0/8"}, "10.0.0.2:4000", nil, "10.0.0.2"},
		{"one proxy", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client's own entry left of the real one", []string{"10.0.0.0/8"}, "10.0.0.2:4000",
			[]string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"chain of proxies", []string{"10.0.0.0/8", "192.0.2.7"}, "10.0.0.2:4000",
			[]string{"198.51.100.1, 203.0.113.9, 192.0.2.7, 10.0.0.1"}, "203.0.113.9"},
		{"single address is only that address", []string{"192.0.2.7"}, "192.0.2.8:4000", []string{"203.0.113.9"}, "192.0.2.8"},
		{"every entry trusted: leftmost", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"10.0.0.5, 10.0.0.1"}, "10.0.0.5"},
		{"trust everything: leftmost", []string{"0.0.0.0/0", "::/0"}, "10.0.0.2:4000", []string{"198.51.100.1, 203.0.113.9"}, "198.51.100.1"},
		{"malformed rightmost: peer", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9, not-an-ip"}, "10.0.0.2"},
		{"malformed stops the walk", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9, bogus, 10.0.0.1"}, "10.0.0.1"},
		{"unknown", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"unknown"}, "10.0.0.2"},
		{"empty entry stops the walk", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9,,10.0.0.1"}, "10.0.0.1"},
		{"empty header", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{""}, "10.0.0.2"},
		{"control characters", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9\r\nX: y"}, "10.0.0.2"},
		{"whitespace", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{" \t203.0.113.9 ,\t10.0.0.1 "}, "203.0.113.9"},
		{"IPv4 with port", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"IPv6 with port", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"[2001:db8::9]:443"}, "2001:db8::9"},
		{"IPv6 in brackets", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"[2001:db8::9]"}, "2001:db8::9"},
		{"IPv4 in brackets is malformed", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"[203.0.113.9]"}, "10.0.0.2"},
		{"IPv6 canonical form", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"2001:DB8:0:0::9"}, "2001:db8::9"},
		{"IPv6 zone dropped", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"fe80::1%eth0"}, "fe80::1"},
		{"IPv4-mapped entry", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped peer", []string{"10.0.0.0/8"}, "[::ffff:10.0.0.2]:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv6 proxies", []string{"fd00::/8"}, "[fd00::1]:4000", []string{"2001:db8::7, fd00::2"}, "2001:db8::7"},
		{"IPv6 single proxy", []string{"2001:db8::53"}, "[2001:db8::53]:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv6 peer zone", []string{"fe80::/10"}, "[fe80::1%eth0]:4000", nil, "fe80::1"},
		{"several header lines", []string{"10.0.0.0/8"}, "10.0.0.2:4000", []string{"203.0.113.9", "10.0.0.1"}, "203.0.113.9"},
		{"several header lines, client entry first", []string{"10.0.0.0/8"}, "10.0.0.2:4000",
			[]string{"198.51.100.1, 203.0.113.9", "10.0.0.3, 10.0.0.1"}, "203.0.113.9"},
		{"peer not an IP", []string{"0.0.0.0/0"}, "pipe", []string{"203.0.113.9"}, "pipe"},
		{"peer host not an IP", []string{"0.0.0.0/0"}, "local:1", []string{"203.0.113.9"}, "local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "http://id.example/login", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			got := r.ClientIP(req)
			if got != tc.want {
				t.Errorf("ClientIP = %q, want %q", got, tc.want)
			}
			// From an IP peer the answer is always an address, never
			// a piece of a header.
			if _, err := netip.ParseAddrPort(tc.peer); err == nil {
				if a, err := netip.ParseAddr(got); err != nil || a.String() != got {
					t.Errorf("ClientIP = %q, not a canonical address", got)
				}
			}
		})
	}
}

func TestZeroResolverIsPeer(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "http://id.example/", nil)
	req.RemoteAddr = "10.0.0.2:4000"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := (Resolver{}).ClientIP(req); got != "10.0.0.2" {
		t.Fatalf("zero Resolver: %q, want the peer", got)
	}
}

func TestParseProxy(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"10.0.0.0/8":       "10.0.0.0/8",
		"192.0.2.1":        "192.0.2.1/32",
		"192.0.2.1/32":     "192.0.2.1/32",
		"2001:db8::1":      "2001:db8::1/128",
		"2001:DB8::/32":    "2001:db8::/32",
		"fd00::/8":         "fd00::/8",
		"::ffff:192.0.2.1": "192.0.2.1/32",
	} {
		p, err := ParseProxy(in)
		if err != nil || p.String() != want {
			t.Errorf("ParseProxy(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                    "not an IP address or CIDR",
		"proxy.example":       "not an IP address or CIDR",
		" 10.0.0.1":           "not an IP address or CIDR",
		"fe80::1%eth0":        "not an IP address or CIDR",
		"10.0.0.0/33":         "not a CIDR",
		"10.0.0.0/":           "not a CIDR",
		"10.1.2.3/8":          "write 10.0.0.0/8 for the network or 10.1.2.3/32 for the one address",
		"2001:db8::1/32":      "write 2001:db8::/32 for the network or 2001:db8::1/128",
		"::ffff:10.0.0.0/104": "as IPv4",
	} {
		_, err := ParseProxy(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseProxy(%q): %v, want an error naming it with %q", in, err, want)
		}
	}
}

func TestNewNamesEveryBadEntry(t *testing.T) {
	t.Parallel()
	_, err := New([]string{"10.0.0.0/8", "nonsense", "192.0.2.1", "10.1.2.3/8"})
	if err == nil || !strings.Contains(err.Error(), `"nonsense"`) || !strings.Contains(err.Error(), `"10.1.2.3/8"`) {
		t.Fatalf("New: %v, want both bad entries named", err)
	}
	if r, err := New(nil); err != nil || len(r.trusted) != 0 {
		t.Fatalf("New(nil): %v %v", r, err)
	}
}

func TestBucket(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:aaaa::1":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::9": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"fe80::1%eth0":              "fe80::/64",
		"not-an-ip":                 "not-an-ip",
		"":                          "",
	} {
		if got := Bucket(in); got != want {
			t.Errorf("Bucket(%q) = %q, want %q", in, got, want)
		}
	}
}
