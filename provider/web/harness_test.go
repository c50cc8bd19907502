// Package web_test holds the page tests that cross areas: a sign-in that
// enrolls a second factor on the account page, an invitation that makes an
// account and joins an organization, an upstream identity shown and
// unlinked on the account page, single sign-on set up on the organization
// page and then used at sign-in. Each area's own tests live in its package
// (web/signin, web/account, …); these mount several areas' route tables
// as provider.New does.
package web_test

import (
	"testing"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/federation"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the sign-in, self-service, account
// and organization pages built on it; federation once withUpstream turns
// it on.
type harness struct {
	*webtest.Env
	orgRules    *accounts.Organizations
	flows       *signin.Flows
	signin      *signin.Pages
	selfService *selfservice.Pages
	account     account.Pages
	// orgs serves the organization pages; without single sign-on until a
	// test sets orgs.SSO.
	orgs *orgs.Pages
	fed  *federation.Pages
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t)}
	site, limiter := h.Site(), h.Limiter()
	h.orgRules = &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	users := &accounts.Users{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now}
	h.flows = &signin.Flows{Site: site, Store: h.Store}
	var err error
	h.selfService, err = selfservice.New(selfservice.Pages{Site: site, Store: h.Store, Throttle: limiter, Notifier: h.Notified,
		Requests: h.flows, Invitations: h.orgRules, Users: &accounts.Users{Store: h.Store, Now: h.Clock.Now}, Transactor: h.Store,
		Registration: true, VerifyEmailLifetime: selfservice.DefaultVerifyEmailLifetime, ResetPasswordLifetime: selfservice.DefaultResetPasswordLifetime,
		Mail: &selfservice.MailCap{Store: h.Store, Outbox: h.Mailer, PerHour: selfservice.DefaultMailsPerHour, Now: h.Clock.Now, Logger: h.Logger}})
	if err != nil {
		t.Fatal(err)
	}
	h.signin, err = signin.New(signin.Pages{Site: site, Flows: h.flows, Store: h.Store, Throttle: limiter,
		MFA: h.MFA, Challenges: h.Store, Hints: h.Hints, Notifier: h.Notified, SelfService: h.selfService, Passkeys: h.Passkeys})
	if err != nil {
		t.Fatal(err)
	}
	h.account = account.Pages{Site: site, Store: h.Store, Throttle: limiter, Notifier: h.Notified, Users: users,
		Tokens: &pat.Service{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}, Requests: h.flows, Mailer: h.Mailer, MFA: h.MFA,
		Passkeys: h.Passkeys}
	h.orgs, err = orgs.New(orgs.Pages{Site: site, Store: h.Store, Orgs: h.orgRules, Mailer: h.Mailer})
	if err != nil {
		t.Fatal(err)
	}
	h.mount()
	return h
}

// mount serves the pages as configured now, federation's when on.
func (h *harness) mount() {
	h.T.Helper()
	acct, err := account.New(h.account)
	if err != nil {
		h.T.Fatal(err)
	}
	tables := [][]page.Route{h.signin.Routes(), h.selfService.Routes(), acct.Routes(), h.orgs.Routes()}
	if h.fed != nil {
		tables = append(tables, h.fed.Routes())
	}
	h.Mount(tables...)
}

// withUpstream turns federation on with one OIDC connector, "corp", to a
// fake upstream on 127.0.0.1, with new accounts allowed, and lists it on
// the account page.
func (h *harness) withUpstream(person fakeidp.Person, mutate ...func(*connectors.Config)) *fakeidp.Server {
	h.T.Helper()
	up, set := h.Upstream(person, mutate...)
	h.federate(set, nil)
	return up
}

// withEnterprise is withUpstream with organizations' single sign-on on
// (DNS checks go nowhere: 127.0.0.1:1).
func (h *harness) withEnterprise(person fakeidp.Person) (*fakeidp.Server, *orgsso.Service) {
	h.T.Helper()
	up, set := h.Upstream(person)
	sso := &orgsso.Service{Store: h.Store, Audit: h.Store, Orgs: h.orgRules, Connectors: set,
		Resolver: orgsso.NewResolver("127.0.0.1:1"), Now: h.Clock.Now}
	h.federate(set, sso)
	return up, sso
}

// federate mounts federation over set, with enterprise single sign-on when
// sso is set.
func (h *harness) federate(set *connectors.Set, sso *orgsso.Service) {
	h.T.Helper()
	var enterprise federation.Enterprise
	if sso != nil {
		enterprise = sso
	}
	fed, err := federation.New(federation.Pages{Orgs: enterprise, Site: h.Site(), Flows: h.flows, Passwords: &signin.Passwords{Site: h.Site(), Store: h.Store},
		Store: h.Store, Transactor: h.Store, Throttle: h.Limiter(), Connectors: set, NewAccounts: true,
		StateLifetime: federation.DefaultUpstreamStateLifetime,
		Mailer:        h.selfService.Mail, MFA: h.MFA})
	if err != nil {
		h.T.Fatal(err)
	}
	h.fed = fed
	h.signin.Upstream = fed
	h.account.Identities = &account.Identities{Connectors: set, Store: h.Store, Transactor: h.Store}
	h.mount()
}
