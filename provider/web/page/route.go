package page

import (
	"fmt"
	"net/http"
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
// Handler.
func (s *Site) Mount(mux Mux, routes []Route) {
	for _, rt := range routes {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || method == "" || !strings.HasPrefix(path, "/") || rt.Handler == nil {
			panic(fmt.Sprintf("page: route %q needs a method, a path and a handler", rt.Pattern)) // a wiring mistake, found at start
		}
		mux.Handle(method+" "+s.base+path, s.Handler(rt.Handler))
	}
}

// probed are the methods NotFound tries for its Allow header.
var probed = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// NotFound is the catch-all page of mux, to be mounted at the issuer's path
// plus "/": the 404 page, or the 405 page with the right Allow header when
// the path is served for other methods. (Behind a catch-all the mux never
// answers 405 itself: "/" matches every method.)
func (s *Site) NotFound(mux *http.ServeMux) http.Handler {
	return s.Handler(func(w http.ResponseWriter, r *http.Request) error {
		_, self := mux.Handler(r)
		var allowed, named []string
		for _, m := range probed {
			if m == r.Method {
				continue
			}
			other := r.Clone(r.Context())
			other.Method = m
			if _, pattern := mux.Handler(other); pattern != "" && pattern != self {
				allowed = append(allowed, m)
				if m != http.MethodHead {
					named = append(named, m)
				}
			}
		}
		if len(allowed) == 0 {
			return Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
		}
		// RFC 9110 §15.5.6: a 405 lists the methods the resource has.
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only "+strings.Join(named, " and ")+".")
	})
}
