package page

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Headers sets the headers every page needs: no framing, a strict CSP, no
// referrer, no caching. Mount wraps it around every page route; wrap it
// around any other page handler. Handlers whose forms lead to a client's
// redirect URI widen form-action with AllowFormAction.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

// SetHeaders sets the page headers on h, keeping a Content-Security-Policy
// already set (AllowFormAction's).
func SetHeaders(h http.Header) {
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", ContentSecurityPolicy())
	}
}

// ContentSecurityPolicy is the pages' policy. Scripts come only from this
// site's static files (static/passkey.js, the WebAuthn calls), never
// inline, and may fetch only from this site. The extra form-action sources
// are needed where a form's POST ends in a redirect to a client: browsers
// apply form-action to every redirect that follows a form submission.
func ContentSecurityPolicy(formAction ...string) string {
	fa := "'self'"
	for _, s := range formAction {
		fa += " " + s
	}
	return "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action " + fa +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// AllowFormAction lets this page's forms end in redirects to the given URIs.
func AllowFormAction(w http.ResponseWriter, uris ...string) {
	var sources []string
	for _, u := range uris {
		if s := CSPSource(u); s != "" && !slices.Contains(sources, s) {
			sources = append(sources, s)
		}
	}
	w.Header().Set("Content-Security-Policy", ContentSecurityPolicy(sources...))
}

// CSPSource is the CSP source expression that matches uri: its origin for
// http(s), its scheme for a native app's private-use scheme. Anything that
// does not parse cleanly gives "", never a piece of policy syntax.
func CSPSource(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "http", "https":
		if u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
			return ""
		}
		return scheme + "://" + u.Host
	case "javascript", "data", "blob", "filesystem":
		return ""
	default:
		// url.Parse allows only [a-z0-9+.-] in a scheme.
		return scheme + ":"
	}
}
