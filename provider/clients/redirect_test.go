package clients

import "testing"

// RFC 8252 §7.3: a loopback redirect may use any port; RFC 9700 §4.1.3:
// everything else is exact.
func TestMatchRedirectURI(t *testing.T) {
	t.Parallel()
	registered := []string{
		"http://127.0.0.1/callback",
		"http://[::1]:8000/cb",
		"http://localhost/cli?x=1",
		"https://app.example/cb",
		"https://127.0.0.1/tls",
		"com.example.app:/oauth2redirect",
	}
	for _, tc := range []struct {
		requested string
		want      string // "" when refused
	}{
		{"http://127.0.0.1/callback", "http://127.0.0.1/callback"},
		{"http://127.0.0.1:49152/callback", "http://127.0.0.1/callback"},
		{"http://127.0.0.1:80/callback", "http://127.0.0.1/callback"},
		{"http://[::1]:51234/cb", "http://[::1]:8000/cb"},
		{"http://[::1]/cb", "http://[::1]:8000/cb"},
		{"http://localhost:38111/cli?x=1", "http://localhost/cli?x=1"},
		{"https://app.example/cb", "https://app.example/cb"},
		{"com.example.app:/oauth2redirect", "com.example.app:/oauth2redirect"},

		{"http://127.0.0.1:49152/callback/", ""},      // another path
		{"http://127.0.0.1:49152/Callback", ""},       // paths are case-sensitive
		{"http://127.0.0.1:49152/callback?x=1", ""},   // another query
		{"http://127.0.0.1:49152/callback?", ""},      // an empty query is not none
		{"http://127.0.0.1:49152/callback#f", ""},     // fragment (RFC 6749 §3.1.2)
		{"http://127.0.0.2:49152/callback", ""},       // another loopback host
		{"http://localhost:49152/callback", ""},       // localhost is not 127.0.0.1
		{"http://[::1]:5000/callback", ""},            // nor is [::1]
		{"http://127.0.0.1.nip.io:5000/callback", ""}, // not a loopback host
		{"http://evil@127.0.0.1:5000/callback", ""},   // user information
		{"http://127.0.0.1:/callback", ""},            // empty port
		{"http://127.0.0.1:0x50/callback", ""},        // not a port
		{"https://127.0.0.1:5000/tls", ""},            // https is exact
		{"https://127.0.0.1:5000/callback", ""},       // scheme differs
		{"https://app.example:8443/cb", ""},           // non-loopback port
		{"http://app.example/cb", ""},                 // scheme differs
		{"com.example.app:/oauth2redirect/x", ""},     // private-use scheme is exact
		{"", ""},
	} {
		got, ok := MatchRedirectURI(registered, tc.requested)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("MatchRedirectURI(%q) = %q, %v; want %q", tc.requested, got, ok, tc.want)
		}
	}
}
