package account_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// harness is the shared webtest.Env with the account pages, and the
// sign-in pages they are reached through, mounted as provider.New mounts
// them. Tests change account and call mount again.
type harness struct {
	*webtest.Env
	account account.Pages
	signIn  []page.Route
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: webtest.New(t)}
	limiter := h.Limiter()
	users := &accounts.Users{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now}
	flows := h.signInPages(limiter)
	h.account = account.Pages{Site: h.Site(), Store: h.Store, Throttle: limiter, Notifier: h.Notified, Users: users,
		Tokens: &pat.Service{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}, Requests: flows, Mailer: h.Mailer, MFA: h.MFA,
		Passkeys: h.Passkeys}
	h.mount()
	return h
}

// signInPages are the login, its second step and the logout (web/signin),
// which the account pages send a signed-out browser to; it returns the
// parked requests they share.
func (h *harness) signInPages(limiter *throttle.Limiter) *signin.Flows {
	h.T.Helper()
	flows := &signin.Flows{Site: h.Site(), Store: h.Store}
	pages, err := signin.New(signin.Pages{Site: h.Site(), Flows: flows, Store: h.Store, Throttle: limiter,
		MFA: h.MFA, Challenges: h.Store, Hints: h.Hints, Notifier: h.Notified, Passkeys: h.Passkeys})
	if err != nil {
		h.T.Fatal(err)
	}
	h.signIn = pages.Routes()
	return flows
}

// mount serves the pages as configured now.
func (h *harness) mount() {
	h.T.Helper()
	p, err := account.New(h.account)
	if err != nil {
		h.T.Fatal(err)
	}
	h.Mount(p.Routes(), h.signIn)
}

const (
	annPassword = "ann-password-long"
	orgPW       = "correct horse battery staple"
)

func hasOTP(s storage.Session) bool { return slices.Contains(s.AMR, "otp") }

// grantToken records a token of kind for userID, as the protocol would.
func (h *harness) grantToken(kind storage.TokenKind, userID, clientID, sessionID, requestID string) string {
	h.T.Helper()
	sig := randtoken.ID()
	err := h.Store.CreateToken(h.Ctx(), storage.TokenRecord{Kind: kind, Signature: sig, RequestID: requestID,
		RequestedAt: h.Clock.Now(), ClientID: clientID, Subject: userID, SessionID: sessionID, Session: []byte("{}"),
		Active: true, ExpiresAt: h.Clock.Now().Add(time.Hour)})
	if err != nil {
		h.T.Fatal(err)
	}
	return sig
}

func (h *harness) tokenActive(kind storage.TokenKind, sig string) bool {
	h.T.Helper()
	rec, err := h.Store.GetToken(h.Ctx(), kind, sig)
	if err != nil {
		h.T.Fatal(err)
	}
	return rec.Active
}

func (h *harness) must(err error) {
	h.T.Helper()
	if err != nil {
		h.T.Fatal(err)
	}
}
