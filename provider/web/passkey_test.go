package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/passkey/passkeytest"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
)

// TestPasskeyAsSecondFactor: a person with an authenticator app adds a
// passkey on the account page; at the next sign-in the second step offers
// both, and the passkey completes it: amr pwd hwk user mfa.
func TestPasskeyAsSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", "ann-password-long")
	h.Client(webtest.AppClient())
	b := h.Browser()
	enrollViaPage(b, "ann@example.com", "ann-password-long")
	auth := passkeytest.New(webtest.Issuer)
	b.Get(account.PathPasskeys)
	opts := b.Call(account.PathPasskeyBegin, url.Values{}, http.StatusOK)
	resp, _, err := auth.Create(opts, passkeytest.Tweak{})
	if err != nil {
		t.Fatal(err)
	}
	b.Call(account.PathPasskeyFinish, url.Values{"name": {"Laptop"}, "credential": {string(resp)}}, http.StatusOK)

	b = h.Browser()
	h.AuthRequest("req1", "app", webtest.AuthForm())
	passwordStep(b, "ann@example.com", "ann-password-long", "req1")
	w := b.Get(signin.PathSecondFactor + "?request=req1")
	for _, want := range []string{`name="code"`, `id="passkey-verify"`, `data-begin="/login/mfa/passkey/begin?request=req1"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("second step lacks %s", want)
		}
	}
	opts = b.Call(signin.PathPasskeyFactorBegin+"?request=req1", url.Values{}, http.StatusOK)
	if allow, _ := opts["publicKey"].(map[string]any)["allowCredentials"].([]any); len(allow) != 1 {
		t.Errorf("allowCredentials = %v, want ann's passkey", allow)
	}
	// A wrong origin is refused and the half-finished sign-in stays.
	bad, _ := auth.Get(opts, nil, passkeytest.Tweak{Origin: "https://evil.example"})
	b.Call(signin.PathPasskeyFactorFinish+"?request=req1", url.Values{"credential": {string(bad)}}, http.StatusForbidden)
	if _, ok := b.Session(); ok {
		t.Fatal("a refused passkey signed in")
	}
	opts = b.Call(signin.PathPasskeyFactorBegin+"?request=req1", url.Values{}, http.StatusOK)
	good, _ := auth.Get(opts, nil, passkeytest.Tweak{})
	done := b.Call(signin.PathPasskeyFactorFinish+"?request=req1", url.Values{"credential": {string(good)}}, http.StatusOK)
	if done["redirect"] != "/oauth2/authorize/resume?request=req1" {
		t.Fatalf("finish = %v", done)
	}
	s, ok := b.Session()
	if !ok || !slices.Equal(s.AMR, []string{"pwd", "hwk", "user", "mfa"}) {
		t.Fatalf("session %+v", s)
	}
	if b.Cookies[signin.MFACookie] != nil {
		t.Error("the second-factor cookie outlived the sign-in")
	}
	// Without the half-finished sign-in the calls are refused.
	h.Browser().Call(signin.PathPasskeyFactorBegin+"?request=req1", url.Values{}, http.StatusBadRequest)
}
