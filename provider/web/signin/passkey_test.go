package signin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/passkey/passkeytest"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

func beginSignIn(t *testing.T, b *webtest.Agent, req string) map[string]any {
	t.Helper()
	opts := b.Call(PathPasskeyBegin+"?request="+req, url.Values{}, http.StatusOK)
	if b.Cookies[PasskeyCookie] == nil {
		t.Fatal("begin set no ceremony cookie")
	}
	pk, _ := opts["publicKey"].(map[string]any)
	if pk["rpId"] != "id.example" || pk["userVerification"] != "required" || pk["allowCredentials"] != nil {
		t.Fatalf("sign-in options %v: want the issuer's host, user verification, no allow list", pk)
	}
	return opts
}

// passkeyHarness has ann with one passkey on auth, and the request req1 of
// the app.
func passkeyHarness(t *testing.T) (*harness, *passkeytest.Authenticator, storage.Passkey) {
	t.Helper()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	ann := h.User("ann", "ann@example.com", "ann-password")
	auth := passkeytest.New(webtest.Issuer)
	pk, _ := h.Passkey(ann, auth)
	h.AuthRequest("req1", "app", webtest.AuthForm())
	return h, auth, pk
}

// TestPasskeySignIn: the login page offers a passkey (button and the email
// field's autofill), and a verified passkey signs in without a password,
// amr hwk user mfa (RFC 8176 §2).
func TestPasskeySignIn(t *testing.T) {
	t.Parallel()
	h, auth, pk := passkeyHarness(t)

	b := h.Browser()
	w := b.Get("/login?request=req1")
	body := w.Body.String()
	for _, want := range []string{`autocomplete="username webauthn"`, `id="passkey-signin"`, `<script src="/static/passkey.js?v=`,
		`data-begin="/login/passkey/begin?request=req1"`, `name="password"`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("login page has an inline script")
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("CSP %q does not allow the site's own script and calls", csp)
	}

	opts := beginSignIn(t, b, "req1")
	resp, err := auth.Get(opts, nil, passkeytest.Tweak{})
	if err != nil {
		t.Fatal(err)
	}
	done := b.Call(PathPasskeyFinish+"?request=req1", url.Values{"credential": {string(resp)}}, http.StatusOK)
	if done["redirect"] != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("finish = %v", done)
	}
	s, ok := b.Session()
	if !ok || s.UserID != "ann" || !slices.Equal(s.AMR, []string{"hwk", "user", "mfa"}) {
		t.Fatalf("session after a passkey: %+v %v", s, ok)
	}
	if ar := h.AuthReq("req1"); ar.SessionID != s.ID || ar.LoginAt.IsZero() {
		t.Errorf("request not bound: %+v", ar)
	}
	if ev := h.Audits("login.success"); len(ev) != 1 || ev[0].Details["amr"] != "hwk user mfa" || ev[0].Details["passkey_id"] != pk.ID {
		t.Errorf("login.success = %+v", ev)
	}
	if ev := h.Audits("passkey.used"); len(ev) != 1 {
		t.Errorf("passkey.used = %+v", ev)
	}

	// Without a request the browser goes to return_to.
	b2 := h.Browser()
	b2.Get("/login?return_to=/account")
	opts = b2.Call(PathPasskeyBegin, url.Values{"return_to": {"/account"}}, http.StatusOK)
	resp, _ = auth.Get(opts, nil, passkeytest.Tweak{})
	if done := b2.Call(PathPasskeyFinish, url.Values{"return_to": {"/account"}, "credential": {string(resp)}}, http.StatusOK); done["redirect"] != "/account" {
		t.Errorf("finish without a request = %v", done)
	}
}

// TestPasskeySignInRefused: answers that must not sign in are refused with
// a JSON error the page shows, start no session and are audited.
func TestPasskeySignInRefused(t *testing.T) {
	t.Parallel()
	h, auth, _ := passkeyHarness(t)

	refused := func(name string, b *webtest.Agent, resp []byte, status int, wantMsg, reason string) {
		t.Helper()
		before := len(h.Audits("passkey.failed"))
		out := b.Call(PathPasskeyFinish+"?request=req1", url.Values{"credential": {string(resp)}}, status)
		if msg, _ := out["error"].(string); !strings.Contains(msg, wantMsg) {
			t.Errorf("%s: error %q, want %q", name, msg, wantMsg)
		}
		if _, ok := b.Session(); ok {
			t.Errorf("%s: a session started", name)
		}
		if reason == "" {
			return
		}
		ev := h.Audits("passkey.failed")
		if len(ev) != before+1 {
			t.Fatalf("%s: passkey.failed events %d, want %d", name, len(ev), before+1)
		}
		found := false
		for _, e := range ev {
			found = found || e.Details["reason"] == reason
		}
		if !found {
			t.Errorf("%s: no passkey.failed with reason %s in %+v", name, reason, ev)
		}
	}

	b := h.Browser()
	b.Get("/login?request=req1")
	opts := beginSignIn(t, b, "req1")
	bad, _ := auth.Get(opts, nil, passkeytest.Tweak{Origin: "https://id.example.evil"})
	refused("another origin", b, bad, http.StatusForbidden, "could not be used", passkey.ReasonOrigin)

	opts = beginSignIn(t, b, "req1")
	bad, _ = auth.Get(opts, nil, passkeytest.Tweak{RPID: "evil.example"})
	refused("another RP ID", b, bad, http.StatusForbidden, "could not be used", passkey.ReasonRPID)

	beginSignIn(t, b, "req1")
	elsewhere := h.Browser()
	elsewhere.Get("/login?request=req1")
	other := beginSignIn(t, elsewhere, "req1")
	bad, _ = auth.Get(other, nil, passkeytest.Tweak{})
	refused("another challenge", b, bad, http.StatusForbidden, "could not be used", passkey.ReasonChallengeMismatch)

	opts = beginSignIn(t, b, "req1")
	bad, _ = auth.Get(opts, nil, passkeytest.Tweak{UserHandle: []byte("bob")})
	refused("wrong user handle", b, bad, http.StatusForbidden, "could not be used", passkey.ReasonUserHandle)

	// A replayed answer: the ceremony is used up (the cookie is gone too,
	// so put it back as an attacker would).
	opts = beginSignIn(t, b, "req1")
	secret := b.Cookies[PasskeyCookie]
	good, _ := auth.Get(opts, nil, passkeytest.Tweak{})
	replayer := h.Browser()
	replayer.Get("/login?request=req1")
	replayer.Cookies[PasskeyCookie] = secret
	b.Call(PathPasskeyFinish+"?request=req1", url.Values{"credential": {string(good)}}, http.StatusOK)
	refused("replayed", replayer, good, http.StatusBadRequest, "expired or was used already", passkey.ReasonChallenge)

	// A removed passkey.
	keys, _ := h.Passkeys.List(h.Ctx(), "ann")
	for _, k := range keys {
		if err := h.Passkeys.Remove(h.Ctx(), accountsActor("ann"), "ann", k.ID); err != nil {
			t.Fatal(err)
		}
	}
	c := h.Browser()
	c.Get("/login?request=req1")
	opts = beginSignIn(t, c, "req1")
	bad, _ = auth.Get(opts, nil, passkeytest.Tweak{})
	refused("removed passkey", c, bad, http.StatusForbidden, "could not be used", passkey.ReasonUnknownCredential)

	// No form token, or another site: refused before anything is read.
	d := h.Browser()
	d.Get("/login?request=req1")
	d.CSRF = ""
	refused("no CSRF token", d, []byte("{}"), http.StatusForbidden, "expired", "")
	if w := d.Do(http.MethodPost, PathPasskeyBegin+"?request=req1", url.Values{}); w.Code != http.StatusForbidden {
		t.Errorf("begin without a token = %d", w.Code)
	}
	e := h.Browser()
	e.Get("/login?request=req1")
	e.Site = "cross-site"
	refused("cross-site", e, []byte("{}"), http.StatusForbidden, "expired", "")
	// No credential at all.
	f := h.Browser()
	f.Get("/login?request=req1")
	f.Call(PathPasskeyFinish+"?request=req1", url.Values{}, http.StatusBadRequest)
	// A request that is gone is a JSON error too.
	f.Call(PathPasskeyBegin+"?request=nope", url.Values{}, http.StatusBadRequest)
}

// TestLoginWithoutPasskeys: with passkeys off the login page has no script
// and no passkey form, and the calls are not mounted.
func TestLoginWithoutPasskeys(t *testing.T) {
	t.Parallel()
	env := webtest.New(t)
	site := env.Site()
	pages, err := New(Pages{Site: site, Flows: &Flows{Site: site, Store: env.Store}, Store: env.Store, Throttle: env.Limiter()})
	if err != nil {
		t.Fatal(err)
	}
	env.Mount(pages.Routes())
	body := env.Browser().Get("/login").Body.String()
	if strings.Contains(body, "passkey") || strings.Contains(body, "<script") || strings.Contains(body, "webauthn") {
		t.Errorf("login page without passkeys mentions them:\n%s", body)
	}
	w := httptest.NewRecorder()
	env.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, webtest.Issuer+PathPasskeyBegin, nil))
	if w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
		t.Errorf("passkey begin without passkeys = %d", w.Code)
	}
}

func accountsActor(id string) accounts.Actor { return accounts.Actor{ID: id} }

// TestPasskeyCallLimits: a credential larger than any real one is refused,
// and a body over the pages' cap is answered as JSON to the script too.
func TestPasskeyCallLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.Browser()
	b.Get("/login")
	out := b.Call(PathPasskeyFinish, url.Values{"credential": {strings.Repeat("x", page.MaxPasskeyResponse+1)}}, http.StatusBadRequest)
	if msg, _ := out["error"].(string); !strings.Contains(msg, "no passkey") {
		t.Errorf("oversized credential: %v", out)
	}
	body := url.Values{"csrf_token": {b.CSRF}, "credential": {strings.Repeat("x", textcheck.MaxBody)}}.Encode()
	r := httptest.NewRequest(http.MethodPost, webtest.Issuer+PathPasskeyFinish, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	h.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("body over the cap = %d %s:\n%s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}
