package web

import (
	"net/http"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the pages built on it.
type harness struct {
	*webtest.Env
	pages *Pages
	// orgs serves the organization pages, which the flows here pass
	// through; without single sign-on until a test sets orgs.SSO.
	orgs *orgs.Pages
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t)}
	pages, err := New(Pages{
		Orgs:       &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now},
		Accounts:   &accounts.Service{Store: h.Store, Now: h.Clock.Now},
		Lifecycle:  &accounts.People{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now},
		Transactor: h.Store,
		Mailer:     h.Mailer,
		MFA:        h.MFA,
		Challenges: h.Store,
		Store:      h.Store,
		Sessions:   h.Sessions,
		Throttle:   &throttle.Limiter{Store: h.Store, Now: h.Clock.Now},
		Audit:      h.Store,
		Hints:      h.Hints,
		Notifier:   h.Notified,
		Issuer:     webtest.Issuer,
		Now:        h.Clock.Now,
		Logger:     h.Logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.pages = pages
	h.orgs, err = orgs.New(orgs.Pages{Site: h.Site(), Store: h.Store, Orgs: pages.Orgs, Mailer: h.Mailer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", pages.Home)
	mux.HandleFunc("/login", pages.Login)
	mux.HandleFunc(PathUpstreamStart, pages.UpstreamStart)
	mux.HandleFunc(PathUpstreamCallback, pages.UpstreamCallback)
	mux.HandleFunc(PathUpstreamLink, pages.UpstreamLink)
	mux.HandleFunc(PathUpstreamLinkMail, pages.UpstreamLinkMail)
	mux.HandleFunc(PathUpstreamCancel, pages.UpstreamCancel)
	mux.HandleFunc(PathUpstreamLogoutDone, pages.UpstreamLogoutDone)
	mux.HandleFunc("/organization", pages.Organization)
	mux.HandleFunc("/consent", pages.Consent)
	h.Site().Mount(mux, h.orgs.Routes())
	mux.HandleFunc("/invitations/accept", pages.AcceptInvitation)
	mux.HandleFunc("/account/delete", pages.DeleteAccount)
	mux.HandleFunc(PathSecondFactor, pages.SecondFactor)
	mux.HandleFunc(PathAccountMFA, pages.AccountMFA)
	mux.HandleFunc("/oauth2/logout", pages.Logout)
	mux.HandleFunc("/logout", pages.Logout)
	mux.HandleFunc("/account", pages.Account)
	mux.HandleFunc("/account/", pages.Account)
	mux.Handle("/static/", pages.Static())
	h.Handler = page.Headers(mux)
	return h
}
