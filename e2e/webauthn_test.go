package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Helpers for Chromium's virtual WebAuthn authenticator (Chrome DevTools
// Protocol, WebAuthn domain), for every test that signs in with a passkey.

// newPasskeyServer prepares a server whose issuer is http://localhost:PORT
// instead of 127.0.0.1: a WebAuthn relying party id must be a domain name
// (browsers refuse an IP address), and localhost is a secure context over
// plain HTTP.
func newPasskeyServer(t *testing.T, db string) *server {
	t.Helper()
	srv := newServer(t, database(t, db))
	local := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for i, e := range srv.Env {
		if strings.HasPrefix(e, "OSTIARY_ISSUER=") {
			srv.Env[i] = "OSTIARY_ISSUER=" + local
		}
	}
	srv.URL = local
	return srv
}

// virtualAuthenticator enables the WebAuthn domain on the browser's tab and
// adds a platform authenticator as a passkey provider is: CTAP2, internal
// transport, resident (discoverable) keys, user verification that succeeds,
// presence confirmed without a touch. Credentials live as long as the tab.
func virtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	id, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (webauthn.AuthenticatorID, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return "", err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			}})
		return res.AuthenticatorID, err
	})
	if err != nil {
		t.Fatalf("add a virtual authenticator: %v", err)
	}
	return id
}

// virtualCredentials are the credentials the virtual authenticator holds.
func virtualCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	creds, err := chromedp.Run(actx, func(ctx context.Context, tg *chromedp.Target) ([]*webauthn.Credential, error) {
		res, err := cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		return res.Credentials, err
	})
	if err != nil {
		t.Fatalf("read the virtual authenticator: %v", err)
	}
	return creds
}

// registerPasskey adds a passkey named name on the account page of a
// signed-in browser and waits for the page to say so.
func registerPasskey(t *testing.T, ctx context.Context, srv *server, name string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/account/passkeys"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-add")),
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), name),
		chromedp.Click(chromedp.CSS("#passkey-add")),
	)
	waitText(t, ctx, "Your passkey was added")
}

// signInWithPasskey answers the login page the browser is on with its
// passkey: Chromium's virtual authenticator may complete the email field's
// autofill request (conditional mediation) by itself, and otherwise the
// test presses "Sign in with a passkey". It returns how the sign-in went
// ("autofill" or "button") once the browser has left the login page.
func signInWithPasskey(t *testing.T, ctx context.Context) string {
	t.Helper()
	const step = `(function(){
		if (!location.pathname.endsWith("/login")) return "left";
		var b = document.getElementById("passkey-signin");
		if (b && !b.disabled && b.offsetParent !== null && !window.__pressed) { window.__pressed = true; b.click(); return "pressed"; }
		return "wait";
	})()`
	how := "autofill"
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		got, err := chromedp.Run(actx, chromedp.Evaluate[string](step))
		cancel()
		switch {
		case err == nil && got == "left":
			return how
		case err == nil && got == "pressed":
			how = "button"
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the login page never signed in with the passkey; it shows:\n%s", bodyText(t, ctx))
	return ""
}

// autoPresence turns the virtual authenticator's automatic user presence
// on or off: off, no ceremony completes (an autofill request stays
// pending, as it does while a person types a password).
func autoPresence(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, on bool) {
	t.Helper()
	do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, webauthn.SetAutomaticPresenceSimulation,
			webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: id, Enabled: on})
		return err
	}))
}
