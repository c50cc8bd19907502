package federation

import (
	"testing"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the sign-in pages mounted, and
// federation once withUpstream turns it on.
type harness struct {
	*webtest.Env
	signin  *signin.Pages
	pages   *Pages
	limiter *throttle.Limiter
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t)}
	h.limiter = h.Limiter()
	site := h.Site()
	var err error
	h.signin, err = signin.New(signin.Pages{Site: site, Flows: &signin.Flows{Site: site, Store: h.Store}, Store: h.Store,
		Throttle: h.limiter, MFA: h.MFA, Challenges: h.Store, Hints: h.Hints, Notifier: h.Notified})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount(h.signin.Routes())
	return h
}

// withUpstream turns federation on with one OIDC connector, "corp", to a
// fake upstream on 127.0.0.1; new accounts may be made.
func (h *harness) withUpstream(person fakeidp.Person, mutate ...func(*connectors.Config)) *fakeidp.Server {
	h.T.Helper()
	up, set := h.Upstream(person, mutate...)
	site := h.Site()
	fed, err := New(Pages{Site: site, Flows: h.signin.Flows, Passwords: &signin.Passwords{Site: site, Store: h.Store},
		Store: h.Store, Transactor: h.Store, Throttle: h.limiter, Connectors: set, NewAccounts: true, StateLifetime: DefaultUpstreamStateLifetime,
		Mailer: h.Mailer, MFA: h.MFA})
	if err != nil {
		h.T.Fatal(err)
	}
	h.pages = fed
	h.signin.Upstream = fed
	h.Mount(h.signin.Routes(), fed.Routes())
	return up
}
