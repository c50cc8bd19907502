package clients

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckRedirectURI holds the registration rules of RFC 9700 §2.1 and
// RFC 8252 §7 against any string a registrant sends: an accepted URI is
// absolute, has no fragment or user information, and is http only on a
// loopback host.
func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range []string{
		"https://app.example/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "http://localhost/cb",
		"com.example.app:/cb", "javascript:alert(1)", "http://evil.example/cb", "https://a.example/cb#x",
		"https://user@a.example/cb", "http://127.0.0.1.evil.example/", "HTTP://127.0.0.1/", "\x00https://a/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckRedirectURI(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() {
			t.Fatalf("accepted %q, which is not an absolute URI", raw)
		}
		if strings.Contains(raw, "#") || u.User != nil {
			t.Fatalf("accepted %q with a fragment or user information", raw)
		}
		switch u.Scheme {
		case "http":
			if !IsLoopback(u.Hostname()) {
				t.Fatalf("accepted plain http off loopback: %q", raw)
			}
		case "https":
			if u.Host == "" {
				t.Fatalf("accepted https without a host: %q", raw)
			}
		case "javascript", "data", "file", "vbscript":
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
	})
}

// FuzzMatchRedirectURI holds the one exception to exact matching (RFC 8252
// §7.3) to its letter: whatever a client sends as redirect_uri, a match
// that is not character for character is an http loopback URI differing
// from a registered one in its port alone.
func FuzzMatchRedirectURI(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:51234/callback", "http://[::1]:1/callback", "http://localhost:8000/callback",
		"http://127.0.0.1:51234/callback?x=1", "http://127.0.0.1:51234/callback#f", "http://u@127.0.0.1:5/callback",
		"https://127.0.0.1:5/callback", "http://127.0.0.2:5/callback", "http://127.0.0.1:/callback", "http://127.0.0.1:5/Callback",
	} {
		f.Add(s)
	}
	registered := []string{"http://127.0.0.1/callback", "http://[::1]/callback", "http://localhost:9/callback", "https://app.example/cb"}
	f.Fuzz(func(t *testing.T, requested string) {
		reg, ok := MatchRedirectURI(registered, requested)
		if !ok || reg == requested {
			return
		}
		a, errA := url.Parse(reg)
		b, errB := url.Parse(requested)
		if errA != nil || errB != nil {
			t.Fatalf("%q matched %q but does not parse", requested, reg)
		}
		if b.Scheme != "http" || !IsLoopback(b.Hostname()) || b.User != nil || strings.Contains(requested, "#") {
			t.Fatalf("%q matched %q off the loopback rule", requested, reg)
		}
		if a.Hostname() != b.Hostname() || a.EscapedPath() != b.EscapedPath() || a.RawQuery != b.RawQuery {
			t.Fatalf("%q matched %q but differs beyond the port", requested, reg)
		}
	})
}
