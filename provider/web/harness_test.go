package web

import (
	"net/http"
	"testing"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/web/federation"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the pages built on it, and the
// sign-in pages they lead through.
type harness struct {
	*webtest.Env
	pages  *Pages
	signin *signin.Pages
	// orgs serves the organization pages, which the flows here pass
	// through; without single sign-on until a test sets orgs.SSO.
	orgs *orgs.Pages
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t)}
	site := h.Site()
	flows := &signin.Flows{Site: site, Store: h.Store}
	limiter := h.Limiter()
	pages, err := New(Pages{
		Orgs:       &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now},
		Accounts:   &accounts.Service{Store: h.Store, Now: h.Clock.Now},
		Lifecycle:  &accounts.People{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now},
		Transactor: h.Store,
		Tokens:     &pat.Service{Store: h.Store, Audit: h.Store, Now: h.Clock.Now},
		Mailer:     h.Mailer,
		MFA:        h.MFA,
		Store:      h.Store,
		Sessions:   h.Sessions,
		Throttle:   limiter,
		Audit:      h.Store,
		Notifier:   h.Notified,
		Issuer:     webtest.Issuer,
		Now:        h.Clock.Now,
		Logger:     h.Logger,
		Site:       site,
		Flows:      flows,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.pages = pages
	h.signin, err = signin.New(signin.Pages{Site: site, Flows: flows, Store: h.Store, Throttle: limiter,
		MFA: h.MFA, Challenges: h.Store, Hints: h.Hints, Notifier: h.Notified})
	if err != nil {
		t.Fatal(err)
	}
	pages.Signin = h.signin
	h.orgs, err = orgs.New(orgs.Pages{Site: site, Store: h.Store, Orgs: pages.Orgs, Mailer: h.Mailer})
	if err != nil {
		t.Fatal(err)
	}
	h.mount()
	return h
}

// mount serves the sign-in pages, federation's when on, and the pages here.
func (h *harness) mount() {
	site, pages := h.Site(), h.pages
	mux := http.NewServeMux()
	site.Mount(mux, h.signin.Routes())
	if pages.Federation != nil {
		site.Mount(mux, pages.Federation.Routes())
	}
	mux.HandleFunc("GET /{$}", pages.Home)
	site.Mount(mux, h.orgs.Routes())
	mux.HandleFunc("/invitations/accept", pages.AcceptInvitation)
	mux.HandleFunc("/account/delete", pages.DeleteAccount)
	mux.HandleFunc(PathAccountMFA, pages.AccountMFA)
	mux.HandleFunc("/account", pages.Account)
	mux.HandleFunc("/account/", pages.Account)
	mux.Handle(page.PathStatic, site.Static())
	h.Handler = page.Headers(mux)
}

// withUpstream turns federation on with one OIDC connector, "corp", to a
// fake upstream on 127.0.0.1, and registration (so new accounts may be
// made).
func (h *harness) withUpstream(person fakeidp.Person, mutate ...func(*connectors.Config)) *fakeidp.Server {
	h.T.Helper()
	up, set := h.Upstream(person, mutate...)
	h.pages.People = &People{Store: h.Store, Mailer: h.Mailer, Registration: true}
	fed, err := federation.New(federation.Pages{Site: h.Site(), Flows: h.pages.Flows, Passwords: h.pages.Passwords,
		Store: h.Store, Transactor: h.Store, Throttle: h.pages.Throttle, Connectors: set, NewAccounts: true,
		Mailer: h.pages, MFA: h.MFA})
	if err != nil {
		h.T.Fatal(err)
	}
	h.pages.Federation = fed
	h.signin.Upstream = fed
	h.mount()
	return up
}
