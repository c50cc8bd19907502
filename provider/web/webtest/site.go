package webtest

import (
	"net/http"

	"github.com/ostiary/ostiary/provider/web/page"
)

// Site is the page base on this Env's sessions, store, clock and logger,
// made on first use; every area of one test shares it.
func (e *Env) Site() *page.Site {
	e.T.Helper()
	if e.site == nil {
		s, err := page.New(page.Config{Issuer: Issuer, Sessions: e.Sessions, Users: e.Store, Audit: e.Store,
			Now: e.Clock.Now, Logger: e.Logger})
		if err != nil {
			e.T.Fatal(err)
		}
		e.site = s
	}
	return e.site
}

// Mount makes Handler a new mux serving the given route tables, the static
// files and the catch-all 404/405 page, as provider.New mounts them.
func (e *Env) Mount(tables ...[]page.Route) {
	e.T.Helper()
	mux := http.NewServeMux()
	for _, routes := range tables {
		e.Site().Mount(mux, routes)
	}
	mux.Handle(page.PathStatic, e.Site().Static())
	mux.Handle("/", e.Site().NotFound(mux))
	e.Handler = mux
}
