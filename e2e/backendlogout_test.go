package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
)

func TestBackendLogoutSQLite(t *testing.T)   { backendLogout(t, "sqlite") }
func TestBackendLogoutPostgres(t *testing.T) { backendLogout(t, "postgres") }

// backendLogout is oauth2-proxy's --backend-logout-url: after a browser
// sign-in the proxy's server sends a plain GET with the id_token_hint and
// no cookie. The browser's session must be gone (prompt=none answers
// login_required) and the back-channel receiver must get a logout token for
// that session.
func backendLogout(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var client map[string]string
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Proxy", "--first-party",
		"--redirect-uri", rp.srv.URL+"/callback", "--backchannel-logout-uri", rp.srv.URL+"/backchannel-logout")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: signed in")
	signedIn := rp.result()

	resp, err := http.Get(srv.URL + "/oauth2/logout?" + url.Values{"id_token_hint": {signedIn.RawID}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("backend logout: %d\n%s", resp.StatusCode, body)
	}

	select {
	case raw := <-rp.logoutTokens:
		payload, err := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json").
			VerifySignature(context.Background(), raw)
		if err != nil {
			t.Fatalf("logout token does not verify: %v", err)
		}
		var lt map[string]any
		json.Unmarshal(payload, &lt)
		if lt["sid"] != signedIn.Claims["sid"] || lt["aud"] != client["client_id"] {
			t.Fatalf("logout token claims: %v", lt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no back-channel logout token arrived")
	}
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?prompt=none"))
	waitText(t, ctx, "RP error")
	if r := rp.result(); r.Error != "login_required" {
		t.Fatalf("prompt=none after backend logout: %q, want login_required", r.Error)
	}
}
