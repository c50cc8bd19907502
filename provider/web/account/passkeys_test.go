package account_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/passkey/passkeytest"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// TestPasskeysOnAccountPage: a person adds a passkey (discoverable, user
// verified, attestation none), sees it with its type and dates, renames and
// removes it; a session that signed in a while ago confirms the password
// first.
func TestPasskeysOnAccountPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	a, _ := h.SignedIn("ann")
	auth := passkeytest.New(webtest.Issuer)

	w := a.Get(account.PathPasskeys)
	wantPage(t, w, http.StatusOK, "You have no passkeys yet", `data-passkey="register"`, "passkey.js")
	if !strings.Contains(a.Get(account.PathAccount).Body.String(), `href="/account/passkeys"`) {
		t.Error("the account page does not link to the passkeys")
	}

	opts := a.Call(account.PathPasskeyBegin, url.Values{}, http.StatusOK)
	pk := opts["publicKey"].(map[string]any)
	sel, _ := pk["authenticatorSelection"].(map[string]any)
	if pk["rp"].(map[string]any)["id"] != "id.example" || sel["residentKey"] != "required" || sel["userVerification"] != "required" ||
		(pk["attestation"] != "none" && pk["attestation"] != nil) {
		t.Fatalf("creation options %v", pk)
	}
	resp, _, _ := auth.Create(opts, passkeytest.Tweak{})
	done := a.Call(account.PathPasskeyFinish, url.Values{"name": {"Work laptop"}, "credential": {string(resp)}}, http.StatusOK)
	if done["redirect"] != "/account/passkeys?done=added" {
		t.Fatalf("finish = %v", done)
	}
	wantPage(t, a.Get(account.PathPasskeys+"?done=added"), http.StatusOK, "Work laptop", "On a device or password manager",
		"never used", "Your passkey was added")
	if ev := h.Audits("passkey.registered"); len(ev) != 1 || ev[0].ActorID != "ann" {
		t.Errorf("passkey.registered = %+v", ev)
	}

	// The next registration excludes the authenticator that has one.
	opts = a.Call(account.PathPasskeyBegin, url.Values{}, http.StatusOK)
	if ex, _ := opts["publicKey"].(map[string]any)["excludeCredentials"].([]any); len(ex) != 1 {
		t.Errorf("excludeCredentials = %v, want the first passkey", ex)
	}

	keys, _ := h.Passkeys.List(h.Ctx(), "ann")
	id := keys[0].ID
	a.Get(account.PathPasskeys)
	wantSeeOther(t, a.Post(account.PathPasskeyRename, url.Values{"id": {id}, "name": {"Phone"}}), "/account/passkeys?done=renamed")
	wantPage(t, a.Get(account.PathPasskeys), http.StatusOK, "Phone")

	// Later, a change needs the password.
	h.Clock.Add(account.RecentSignIn + time.Minute)
	wantPage(t, a.Get(account.PathPasskeys), http.StatusOK, `name="proof"`)
	if out := a.Call(account.PathPasskeyBegin, url.Values{}, http.StatusForbidden); !strings.Contains(out["error"].(string), "password") {
		t.Errorf("begin without proof = %v", out)
	}
	a.Call(account.PathPasskeyBegin, url.Values{"proof": {"wrong"}}, http.StatusForbidden)
	a.Call(account.PathPasskeyBegin, url.Values{"proof": {annPassword}}, http.StatusOK)
	webtest.WantStatus(t, a.Post(account.PathPasskeyRemove, url.Values{"id": {id}}), http.StatusUnprocessableEntity)
	a.Get(account.PathPasskeys)
	wantSeeOther(t, a.Post(account.PathPasskeyRemove, url.Values{"id": {id}, "proof": {annPassword}}), "/account/passkeys?done=removed")
	if keys, _ := h.Passkeys.List(h.Ctx(), "ann"); len(keys) != 0 {
		t.Errorf("passkeys after remove: %+v", keys)
	}
	if ev := h.Audits("passkey.removed"); len(ev) != 1 || ev[0].Details["passkey_id"] != id {
		t.Errorf("passkey.removed = %+v", ev)
	}

	// Another person's browser cannot call these; another site cannot.
	other := h.Browser()
	other.Get(account.PathPasskeys)
	other.Call(account.PathPasskeyBegin, url.Values{}, http.StatusUnauthorized)
	a.Site = "cross-site"
	a.Call(account.PathPasskeyBegin, url.Values{"proof": {annPassword}}, http.StatusForbidden)
}

// TestPasskeyRegistrationRefused: an answer made for another site or
// without user verification adds nothing, says so and is audited.
func TestPasskeyRegistrationRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	a, _ := h.SignedIn("ann")
	for _, tc := range []struct {
		tweak  passkeytest.Tweak
		reason string
	}{
		{passkeytest.Tweak{Origin: "https://id.example.evil"}, passkey.ReasonOrigin},
		{passkeytest.Tweak{RPID: "example"}, passkey.ReasonRPID},
		{passkeytest.Tweak{NoUserVerification: true}, passkey.ReasonInvalid},
	} {
		a.Get(account.PathPasskeys)
		opts := a.Call(account.PathPasskeyBegin, url.Values{}, http.StatusOK)
		resp, _, _ := passkeytest.New(webtest.Issuer).Create(opts, tc.tweak)
		out := a.Call(account.PathPasskeyFinish, url.Values{"credential": {string(resp)}}, http.StatusForbidden)
		if !strings.Contains(out["error"].(string), "could not be registered") {
			t.Errorf("%s: error %v", tc.reason, out)
		}
		found := false
		for _, ev := range h.Audits("passkey.failed") {
			found = found || ev.Details["reason"] == tc.reason
		}
		if !found {
			t.Errorf("no passkey.failed %s", tc.reason)
		}
	}
	if keys, _ := h.Passkeys.List(h.Ctx(), "ann"); len(keys) != 0 {
		t.Errorf("refused answers added %+v", keys)
	}
}

// acrRequests is web/signin's parked request with the class the other
// side of #14 (acr_values, organization policy) fills in.
type acrRequests struct {
	account.Requests
	class string
}

func (q acrRequests) SignInRequest(r *http.Request) (*account.SignInRequest, error) {
	req, err := q.Requests.SignInRequest(r)
	if req != nil {
		req.ACR = q.class
	}
	return req, err
}

// TestPasskeyStepUp: a sign-in that needs a phishing-resistant class
// offers only a passkey on the second-factor page (adding one first when
// there is none); the passkey adds hwk, user and mfa to the session.
func TestPasskeyStepUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	h.account.Requests = acrRequests{Requests: h.account.Requests, class: acr.PhishingResistant}
	h.mount()
	a := h.SignedInFlow("req1", webtest.AuthForm())
	stepUp := account.PathMFA + "?request=req1"

	wantPage(t, a.Get(stepUp), http.StatusOK, "asks you to confirm with a passkey", `id="add-passkey"`, "/account/passkeys?request=req1")
	auth := passkeytest.New(webtest.Issuer)
	a.Get(account.PathPasskeys + "?request=req1")
	opts := a.Call(account.PathPasskeyBegin+"?request=req1", url.Values{}, http.StatusOK)
	resp, _, _ := auth.Create(opts, passkeytest.Tweak{})
	done := a.Call(account.PathPasskeyFinish+"?request=req1", url.Values{"credential": {string(resp)}}, http.StatusOK)
	if done["redirect"] != stepUp {
		t.Fatalf("registration during the sign-in went to %v", done)
	}
	if s, _ := a.Session(); acr.Satisfies(s.AMR, acr.PhishingResistant) {
		t.Fatalf("registering alone made the session %v", s.AMR)
	}

	w := a.Get(stepUp)
	wantPage(t, w, http.StatusOK, `data-passkey="stepup"`, "/account/mfa/passkey/begin?request=req1")
	if strings.Contains(w.Body.String(), `name="code"`) {
		t.Error("a phishing-resistant step-up offers a code")
	}
	opts = a.Call(account.PathStepUpBegin+"?request=req1", url.Values{}, http.StatusOK)
	bad, _ := auth.Get(opts, nil, passkeytest.Tweak{Origin: "https://evil.example"})
	a.Call(account.PathStepUpFinish+"?request=req1", url.Values{"credential": {string(bad)}}, http.StatusForbidden)
	if s, _ := a.Session(); !slices.Equal(s.AMR, []string{"pwd"}) {
		t.Fatalf("a refused step-up changed the session: %v", s.AMR)
	}
	opts = a.Call(account.PathStepUpBegin+"?request=req1", url.Values{}, http.StatusOK)
	good, _ := auth.Get(opts, nil, passkeytest.Tweak{})
	done = a.Call(account.PathStepUpFinish+"?request=req1", url.Values{"credential": {string(good)}}, http.StatusOK)
	if done["redirect"] != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("step-up = %v", done)
	}
	if s, _ := a.Session(); !slices.Equal(s.AMR, []string{"pwd", "hwk", "user", "mfa"}) {
		t.Errorf("session after the step-up: %v", s.AMR)
	}
	// Another browser cannot step up this sign-in.
	other := h.Browser()
	other.Get(account.PathPasskeys)
	other.Call(account.PathStepUpBegin+"?request=req1", url.Values{}, http.StatusUnauthorized)
}

// TestTwoFactorStepUpOffersPasskey: a second factor (the organization's
// requirement) may be given with a code or a passkey; the person chooses.
func TestTwoFactorStepUpOffersPasskey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	a := h.SignedInFlow("req1", webtest.AuthForm())
	ann, _ := h.Store.GetUser(h.Ctx(), "ann")
	auth := passkeytest.New(webtest.Issuer)
	h.Passkey(ann, auth)
	w := a.Get(account.PathMFA + "?request=req1")
	wantPage(t, w, http.StatusOK, `data-passkey="stepup"`)
	opts := a.Call(account.PathStepUpBegin+"?request=req1", url.Values{}, http.StatusOK)
	good, _ := auth.Get(opts, nil, passkeytest.Tweak{})
	a.Call(account.PathStepUpFinish+"?request=req1", url.Values{"credential": {string(good)}}, http.StatusOK)
	if s, _ := a.Session(); !acr.Satisfies(s.AMR, acr.TwoFactor) {
		t.Errorf("session after the passkey: %v", s.AMR)
	}
}

func wantPage(t *testing.T, w *httptest.ResponseRecorder, code int, texts ...string) {
	t.Helper()
	webtest.WantPage(t, w, w.Body.String(), code, texts...)
}

func wantSeeOther(t *testing.T, w *httptest.ResponseRecorder, location string) {
	t.Helper()
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q:\n%s", w.Code, w.Header().Get("Location"), location, w.Body)
	}
}
