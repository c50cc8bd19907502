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
