package web

import (
	"net/http"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the pages built on it, and the
// signed-in user's pages (web/account) that mount builds from account.
type harness struct {
	*webtest.Env
	pages       *Pages
	account     account.Pages
	selfService selfservice.Pages
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
	h.account = account.Pages{Site: h.Site(), Store: h.Store, Throttle: pages.Throttle, Notifier: h.Notified,
		Users: pages.Lifecycle, Requests: pages, Mailer: h.Mailer, MFA: h.MFA}
	h.selfService = selfservice.Pages{Site: h.Site(), Store: h.Store, Throttle: pages.Throttle, Notifier: h.Notified,
		Requests: pages, Invitations: pages.Orgs, Users: pages.Accounts, Transactor: h.Store,
		Mail: &selfservice.MailCap{Store: h.Store, Outbox: h.Mailer, Now: h.Clock.Now, Logger: h.Logger}}
	h.mount()
	return h
}

// mount serves the pages as configured now on a new mux.
func (h *harness) mount() {
	h.T.Helper()
	pages := h.pages
	acct, err := account.New(h.account)
	if err != nil {
		h.T.Fatal(err)
	}
	self, err := selfservice.New(h.selfService)
	if err != nil {
		h.T.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Site().Mount(mux, acct.Routes())
	h.Site().Mount(mux, self.Routes())
	mux.HandleFunc("/login", pages.Login)
	mux.HandleFunc(PathUpstreamStart, pages.UpstreamStart)
	mux.HandleFunc(PathUpstreamCallback, pages.UpstreamCallback)
	mux.HandleFunc(PathUpstreamLink, pages.UpstreamLink)
	mux.HandleFunc(PathUpstreamLinkMail, pages.UpstreamLinkMail)
	mux.HandleFunc(PathUpstreamCancel, pages.UpstreamCancel)
	mux.HandleFunc(PathUpstreamLogoutDone, pages.UpstreamLogoutDone)
	mux.HandleFunc("/organization", pages.Organization)
	mux.HandleFunc("/consent", pages.Consent)
	mux.HandleFunc("/organizations", pages.Organizations)
	mux.HandleFunc("/organizations/{id}", pages.OrganizationSettings)
	mux.HandleFunc(PathSecondFactor, pages.SecondFactor)
	mux.HandleFunc("/oauth2/logout", pages.Logout)
	mux.HandleFunc("/logout", pages.Logout)
	mux.Handle("/static/", pages.Static())
	h.Handler = page.Headers(mux)
}
