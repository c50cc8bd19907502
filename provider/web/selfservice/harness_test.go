package selfservice_test

import (
	"net/http"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the self-service pages (mail to
// selfMailer, the development outbox on devMail), the sign-in pages that
// link to them and the account pages mounted, as provider.New mounts them.
type harness struct {
	*webtest.Env
	pages      *selfservice.Pages
	selfMailer *webtest.Mailer
	devMail    *mail.Log
}

// newHarness turns registration, verification and reset on, as configure
// leaves them.
func newHarness(t *testing.T, configure func(*selfservice.Pages)) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t), selfMailer: &webtest.Mailer{}}
	h.devMail = &mail.Log{Logger: h.Logger}
	limiter := &throttle.Limiter{Store: h.Store, Now: h.Clock.Now}
	users := &accounts.People{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now}
	orgs := &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	creator := &accounts.Service{Store: h.Store, Now: h.Clock.Now}
	cfg := selfservice.Pages{Site: h.Site(), Store: h.Store, Throttle: limiter, Notifier: h.Notified,
		Invitations: orgs, Users: creator, Transactor: h.Store, Registration: true, DevMail: h.devMail,
		Mail: &selfservice.MailCap{Store: h.Store, Outbox: h.selfMailer, Now: h.Clock.Now, Logger: h.Logger}}
	if configure != nil {
		configure(&cfg)
	}
	// The sign-in pages: provider/web's, whose handlers serve every method
	// of their path.
	signIn, err := web.New(web.Pages{Orgs: orgs, Accounts: creator, Lifecycle: users, Transactor: h.Store, Mailer: h.Mailer,
		MFA: h.MFA, Challenges: h.Store, Store: h.Store, Sessions: h.Sessions, Throttle: limiter, Audit: h.Store,
		Hints: h.Hints, Notifier: h.Notified, Issuer: webtest.Issuer, Now: h.Clock.Now, Logger: h.Logger,
		PasswordReset: true, Registration: cfg.RegistrationOpen()})
	if err != nil {
		t.Fatal(err)
	}
	var signInRoutes []page.Route
	for path, serve := range map[string]http.HandlerFunc{"/login": signIn.Login, "/logout": signIn.Logout} {
		handler := func(w http.ResponseWriter, r *http.Request) error {
			serve(w, r)
			return nil
		}
		signInRoutes = append(signInRoutes, page.Get(path, handler), page.Post(path, handler))
	}
	cfg.Requests = signIn
	if h.pages, err = selfservice.New(cfg); err != nil {
		t.Fatal(err)
	}
	h.selfMailer.Prepare = h.pages.PrepareReset
	acct, err := account.New(account.Pages{Site: h.Site(), Store: h.Store, Throttle: limiter, Notifier: h.Notified,
		Users: users, Requests: signIn, Mailer: h.Mailer})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount(h.pages.Routes(), signInRoutes, acct.Routes())
	return h
}
