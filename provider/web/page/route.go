package page

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Route is one page route: a Go 1.22 method pattern without the issuer's
// path ("GET /login", "POST /login"; a GET pattern also answers HEAD) and
// its handler.
type Route struct {
	Pattern string
	Handler HandlerFunc
}

// Get is the route "GET path" (it answers HEAD too).
func Get(path string, h HandlerFunc) Route {
	return Route{Pattern: http.MethodGet + " " + path, Handler: h}
}

// Post is the route "POST path".
func Post(path string, h HandlerFunc) Route {
	return Route{Pattern: http.MethodPost + " " + path, Handler: h}
}

// Mux is where routes are registered; *http.ServeMux is one.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// MuxFunc is a Mux made of a function, for a caller that records or wraps
// what is registered.
type MuxFunc func(pattern string, h http.Handler)

// Handle calls f.
func (f MuxFunc) Handle(pattern string, h http.Handler) { f(pattern, h) }

// Handler is h as served: the security headers, then Handle.
func (s *Site) Handler(h HandlerFunc) http.Handler { return Headers(s.Handle(h)) }

// Mount registers routes on mux under the issuer's path, each through
// Handler. Every path also gets a method-less pattern that answers 405 with
// the right Allow header as an error page: a catch-all "/" (the provider's
// 404 page) would otherwise win over the mux's own 405.
func (s *Site) Mount(mux Mux, routes []Route) {
	var paths []string
	allow := map[string][]string{}
	for _, rt := range routes {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || method == "" || !strings.HasPrefix(path, "/") || rt.Handler == nil {
			panic(fmt.Sprintf("page: route %q needs a method, a path and a handler", rt.Pattern)) // a wiring mistake, found at start
		}
		mux.Handle(method+" "+s.base+path, s.Handler(rt.Handler))
		if _, seen := allow[path]; !seen {
			paths = append(paths, path)
		}
		allow[path] = append(allow[path], method)
	}
	for _, path := range paths {
		mux.Handle(s.base+path, s.Handler(methodNotAllowed(allow[path])))
	}
}

// methodNotAllowed is the 405 page for a path served for methods only
// (RFC 9110 §15.5.6: Allow lists them; GET implies HEAD).
func methodNotAllowed(methods []string) HandlerFunc {
	allowed := slices.Clone(methods)
	if slices.Contains(allowed, http.MethodGet) && !slices.Contains(allowed, http.MethodHead) {
		allowed = append(allowed, http.MethodHead)
	}
	slices.Sort(allowed)
	var named []string
	for _, m := range allowed {
		if m != http.MethodHead {
			named = append(named, m)
		}
	}
	header := strings.Join(allowed, ", ")
	detail := "This page accepts only " + strings.Join(named, " and ") + "."
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", header)
		return Show(http.StatusMethodNotAllowed, "Method not allowed", detail)
	}
}
