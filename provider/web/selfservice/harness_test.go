package selfservice_test

import (
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/signin"
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
	limiter := h.Limiter()
	users := &accounts.Users{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now}
	orgs := &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	creator := &accounts.Users{Store: h.Store, Now: h.Clock.Now}
	cfg := selfservice.Pages{Site: h.Site(), Store: h.Store, Throttle: limiter, Notifier: h.Notified,
		Invitations: orgs, Users: creator, Transactor: h.Store, Registration: true, DevMail: h.devMail,
		Mail:                &selfservice.MailCap{Store: h.Store, Outbox: h.selfMailer, PerHour: selfservice.DefaultMailsPerHour, Now: h.Clock.Now, Logger: h.Logger},
		VerifyEmailLifetime: selfservice.DefaultVerifyEmailLifetime, ResetPasswordLifetime: selfservice.DefaultResetPasswordLifetime}
	if configure != nil {
		configure(&cfg)
	}
	// The sign-in pages (web/signin), linking here as provider.New mounts
	// them.
	flows := &signin.Flows{Site: h.Site(), Store: h.Store}
	cfg.Requests = flows
	var err error
	if h.pages, err = selfservice.New(cfg); err != nil {
		t.Fatal(err)
	}
	signIn, err := signin.New(signin.Pages{Site: h.Site(), Flows: flows, Store: h.Store, Throttle: limiter,
		MFA: h.MFA, Challenges: h.Store, Hints: h.Hints, Notifier: h.Notified, SelfService: h.pages})
	if err != nil {
		t.Fatal(err)
	}
	h.selfMailer.Prepare = h.pages.PrepareReset
	acct, err := account.New(account.Pages{Site: h.Site(), Store: h.Store, Throttle: limiter, Notifier: h.Notified,
		Users: users, Tokens: &pat.Service{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}, Requests: flows, Mailer: h.Mailer})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount(h.pages.Routes(), signIn.Routes(), acct.Routes())
	return h
}
