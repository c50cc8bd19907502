package signin

import (
	"testing"

	"github.com/ostiary/ostiary/provider/web/webtest"
)

// harness is the shared webtest.Env with the sign-in pages mounted.
type harness struct {
	*webtest.Env
	pages *Pages
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t)}
	site := h.Site()
	pages, err := New(Pages{Site: site, Flows: &Flows{Site: site, Store: h.Store}, Store: h.Store,
		Throttle: h.Limiter(),
		MFA:      h.MFA, Challenges: h.Store, Hints: h.Hints, Notifier: h.Notified, Passkeys: h.Passkeys})
	if err != nil {
		t.Fatal(err)
	}
	h.pages = pages
	h.Mount(pages.Routes())
	return h
}
