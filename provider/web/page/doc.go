// Package page is the shared base of the server-rendered pages under
// provider/web: the templates and layout, the static files, the error page
// and the error-returning handler adapter, the security headers and CSP,
// path and redirect helpers, the signed-in user, and the audit helper. Each
// page area (web/signin, web/federation, web/account, web/selfservice,
// web/orgs, web/admin) is its own package built on one *Site.
//
// # How an area declares and mounts its routes
//
// An area is a struct with exactly its dependencies, the *Site among them,
// and one route table:
//
//	// Pages serves the login and consent pages.
//	type Pages struct {
//		Site  *page.Site
//		Store Store // the area's own narrow interface
//		// ...
//	}
//
//	// Paths the area serves live in the area.
//	const PathLogin = "/login"
//
//	// Routes are the area's pages, in the style of adminapi/routes.go.
//	func (p *Pages) Routes() []page.Route {
//		return []page.Route{
//			page.Get(PathLogin, p.loginForm),
//			page.Post(PathLogin, p.loginPost),
//		}
//	}
//
// provider.New builds one *Site for all areas and mounts each area's table
// on the real mux (through a MuxFunc that records the patterns for the
// every-route test); the area's tests mount the same table:
//
//	site.Mount(mux, signinPages.Routes())   // provider.New
//	env.Mount(p.Routes(), other.Routes())   // a test, on webtest.Env
//
// The rules:
//
//   - A Route's pattern is a Go 1.22 method pattern without the issuer's
//     path: "GET /login", "POST /organizations/{id}"; Get and Post make
//     them (vet wants another package's struct literal keyed). A GET
//     route answers HEAD too. Mount adds the issuer's path, the security headers (Headers)
//     and the adapter (Site.Handle) once, for every route; and for each path
//     a 405 page with the right Allow header. Handlers never check the
//     method: give each method its own route.
//   - Handlers are HandlerFuncs: they return an error instead of writing
//     one. Show (or an *Error with Err for the log) is what the user
//     reads; browser.ErrCSRF becomes 403 "This form has expired",
//     storage.ErrUnavailable 503 with Retry-After, anything else a logged
//     500. Handle also caps and parses the form before the handler runs.
//   - Render pages by template name (templates/NAME.html; New parses them
//     all): p.Site.Render(w, http.StatusOK, "login", data). Make links with
//     Site.Path (a path under the issuer), Site.WithRequest (carrying the
//     parked request), Site.Link (an absolute URL, for mails and upstream
//     providers); answer with Redirect or RedirectSeeOther.
//   - Signed-in pages start with Site.CurrentUser and answer a signed-out
//     visitor with Site.SignInFirst. Security events go through Site.Audit.
//   - A form whose POST ends in a redirect to a client widens form-action
//     with AllowFormAction (CSPSource is the source it adds).
//   - An optional feature is mounted or not; handlers do not check their
//     dependencies for nil. When one area needs an optional other, it
//     declares a small interface of what it needs, with a no-op
//     implementation for "off", and the other area implements it (the
//     other area imports this one, never both ways).
//   - Path constants live in the package that serves them. An area that
//     only links to another area's page imports that constant when the
//     import makes no cycle; otherwise it keeps its own unexported
//     constant, with a comment naming the area that serves it.
//
// Tests build on provider/web/webtest: webtest.New(t) gives the store,
// clock, fakes and Env.Site; the test builds its area, calls Env.Mount with
// the area's Routes (and those of any area it passes through), and drives
// Env.Browser agents.
package page
