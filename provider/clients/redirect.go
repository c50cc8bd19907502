package clients

import (
	"net/url"
	"slices"
)

// MatchRedirectURI finds the registered redirect URI that requested is
// allowed to stand for, and reports whether there is one.
//
// A redirect URI matches character for character (RFC 9700 §2.1, §4.1.3),
// with one exception: a native app's loopback redirect (RFC 8252 §7.3) may
// carry any port, because the app listens on whatever port the system gives
// it at run time. The exception holds only when both URIs use http, name
// the same loopback host (127.0.0.1 or another 127/8 literal, [::1], or
// localhost, which many command-line tools send although RFC 8252 §8.3
// prefers the literal) and have the same path and query; the registered
// URI may name a port or not. Anything else — https, another host, another
// path, user information, a fragment — must be exact.
func MatchRedirectURI(registered []string, requested string) (string, bool) {
	if slices.Contains(registered, requested) {
		return requested, true
	}
	req, ok := loopbackURI(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		reg, ok := loopbackURI(r)
		if ok && reg.Hostname() == req.Hostname() && reg.EscapedPath() == req.EscapedPath() && reg.RawQuery == req.RawQuery {
			return r, true
		}
	}
	return "", false
}

// loopbackURI parses raw when it is a plain http URI on a loopback host
// with nothing a port-agnostic comparison could overlook.
func loopbackURI(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.RawFragment != "" ||
		u.Opaque != "" || u.ForceQuery || !IsLoopback(u.Hostname()) {
		return nil, false
	}
	// url.Parse checks the port is digits; an explicit empty port
	// ("http://127.0.0.1:/cb") is not a port a listener has.
	if p := u.Port(); p == "" && u.Host != u.Hostname() && u.Host != "["+u.Hostname()+"]" {
		return nil, false
	}
	return u, true
}
