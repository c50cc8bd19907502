package provider

import (
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/metrics"
	"github.com/ostiary/ostiary/provider/scim"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/admin"
	"github.com/ostiary/ostiary/provider/web/device"
	"github.com/ostiary/ostiary/provider/web/federation"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

// pageDeps is what the page areas are built from besides the services.
type pageDeps struct {
	store   storage.Store
	site    *page.Site
	flows   *signin.Flows
	limiter *throttle.Limiter
	hints   signin.IDTokenHints
	// devices are the device authorizations (provider/oauth) the device
	// page decides.
	devices device.Devices
	// selfServe is web/selfservice's configuration from newMail; the
	// dependencies known only here are filled in.
	selfServe *selfservice.Pages
	metrics   *metrics.Metrics
}

// webPages are the page surface: every area's route table, in mount order,
// and the mail preparer of the password reset.
type webPages struct {
	tables       [][]page.Route
	prepareReset mail.Preparer
}

// newPages builds every page area of provider/web over one page.Site
// (docs/architecture.md, "Surfaces"). Connectors can be added at run time,
// so federation is always on.
func newPages(svc *Services, d pageDeps) (*webPages, error) {
	st, site, flows := d.store, d.site, d.flows
	ss := d.selfServe
	ss.Site, ss.Throttle, ss.Notifier, ss.Requests = site, d.limiter, svc.Notifier, flows
	ss.Invitations, ss.Users, ss.Transactor = svc.Orgs, svc.Users, st
	selfService, err := selfservice.New(*ss)
	if err != nil {
		return nil, fmt.Errorf("self-service pages: %w", err)
	}
	fed, err := federation.New(federation.Pages{Site: site, Flows: flows, Passwords: &signin.Passwords{Site: site, Store: st},
		Store: st, Transactor: st, Throttle: d.limiter, Connectors: svc.Connectors, Orgs: svc.SSO,
		StateLifetime: federation.DefaultUpstreamStateLifetime,
		NewAccounts:   selfService.RegistrationOpen(), Mailer: selfService.Mail, MFA: svc.MFA})
	if err != nil {
		return nil, fmt.Errorf("federation pages: %w", err)
	}
	signinPages, err := signin.New(signin.Pages{Site: site, Flows: flows, Store: st, Throttle: d.limiter,
		MFA: svc.MFA, Challenges: st, Hints: d.hints, Notifier: svc.Notifier, Upstream: fed, SelfService: selfService,
		Passkeys: svc.Passkeys})
	if err != nil {
		return nil, fmt.Errorf("sign-in pages: %w", err)
	}
	accountPages, err := account.New(account.Pages{Site: site, Store: st, Throttle: d.limiter, Notifier: svc.Notifier,
		Policy: svc.Users.Policy, Users: svc.Users, Tokens: svc.Tokens, Requests: flows, Mailer: selfService.Mail.Outbox,
		MFA: svc.MFA, Identities: &account.Identities{Connectors: svc.Connectors, Store: st, Transactor: st},
		Passkeys: svc.Passkeys, Attributes: svc.Users})
	if err != nil {
		return nil, fmt.Errorf("account pages: %w", err)
	}
	orgPages, err := orgs.New(orgs.Pages{Site: site, Store: st, Orgs: svc.Orgs, Mailer: selfService.Mail.Outbox,
		SSO: &orgs.SSO{Service: svc.SSO, Connectors: svc.Connectors}, Provisioning: svc.Provisioning,
		ScimBaseURL: strings.TrimSuffix(site.Issuer(), "/") + scim.BasePath})
	if err != nil {
		return nil, fmt.Errorf("organization pages: %w", err)
	}
	devicePages, err := device.New(device.Pages{Site: site, Devices: d.devices, Guesses: &throttle.Guesses{
		Store: st, Name: "device", Limit: throttle.DefaultGuessLimit, IPLimit: throttle.DefaultGuessIPLimit,
		Window: throttle.DefaultGuessWindow, Now: site.Now,
		Rejected: func() { d.metrics.ThrottleRejected(metrics.LimiterDeviceCode) }}})
	if err != nil {
		return nil, fmt.Errorf("device pages: %w", err)
	}
	adminPages := &admin.Pages{Site: site, Store: st, Keys: svc.Keys, Ops: svc.Admin, Users: svc.Users, Passkeys: svc.Passkeys}
	return &webPages{
		tables: [][]page.Route{signinPages.Routes(), fed.Routes(), selfService.Routes(), accountPages.Routes(),
			orgPages.Routes(), adminPages.Routes(), devicePages.Routes()},
		prepareReset: selfService.PrepareReset,
	}, nil
}
