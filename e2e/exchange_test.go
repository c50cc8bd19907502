package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

func TestTokenExchangeBetweenBackendsSQLite(t *testing.T) { tokenExchangeBetweenBackends(t, "sqlite") }
func TestTokenExchangeBetweenBackendsPostgres(t *testing.T) {
	tokenExchangeBetweenBackends(t, "postgres")
}

// tokenExchangeBetweenBackends: backend A, registered with the CLI for the
// token exchange to https://b.example only, signs Ada in through the real
// pages (Chromium, x/oauth2 and go-oidc in the relying party), exchanges
// her access token with its own service token as the actor (RFC 8693
// §2.1, a plain client_secret_basic POST: x/oauth2 has no token exchange),
// and backend B verifies the result with go-oidc: aud is B, sub is Ada,
// act names the actor (§4.1). Another audience is invalid_target.
func tokenExchangeBetweenBackends(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	const audB = "https://b.example"
	var ada, web, svc map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &web, "clients", "create", "--name", "Backend A", "--redirect-uri", rp.srv.URL+"/callback",
		"--grant-type", "authorization_code", "--grant-type", "refresh_token", "--grant-type", grantTokenExchange,
		"--exchange-audience", audB)
	srv.cli("", &svc, "clients", "create", "--name", "Backend A service", "--grant-type", "client_credentials")
	rp.connect(srv.URL, web["client_id"], web["client_secret"])
	userAT := browserLogin(t, rp, "ada@example.com")
	actor := clientToken(t, srv.URL, svc["client_id"], svc["client_secret"])

	post := func(form url.Values) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(web["client_id"]), url.QueryEscape(web["client_secret"]))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		body := map[string]any{}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("token endpoint answered %d %q", resp.StatusCode, raw)
		}
		return resp.StatusCode, body
	}
	form := url.Values{"grant_type": {grantTokenExchange}, "subject_token": {userAT},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"actor_token":        {actor}, "actor_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"audience": {audB}, "scope": {"openid profile"}}
	status, body := post(form)
	if status != http.StatusOK || body["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("exchange: %d %v", status, body)
	}
	newAT, _ := body["access_token"].(string)

	ctx := t.Context()
	provider, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := provider.Verifier(&oidc.Config{ClientID: audB}).Verify(ctx, newAT)
	if err != nil {
		t.Fatalf("backend B refuses the exchanged token: %v", err)
	}
	var claims struct {
		Scope    string            `json:"scope"`
		ClientID string            `json:"client_id"`
		Act      map[string]string `json:"act"`
	}
	if err := tok.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if tok.Subject != ada["id"] || len(tok.Audience) != 1 || tok.Audience[0] != audB || claims.Scope != "openid profile" ||
		claims.ClientID != web["client_id"] || claims.Act["sub"] != svc["client_id"] || len(claims.Act) != 1 {
		t.Fatalf("exchanged token: sub %s aud %v claims %+v", tok.Subject, tok.Audience, claims)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: audB}).Verify(ctx, userAT); err == nil {
		t.Errorf("the user's own token passes as one for backend B")
	}

	form.Set("audience", "https://c.example")
	if status, body := post(form); status != http.StatusBadRequest || body["error"] != "invalid_target" {
		t.Errorf("exchange to an audience outside the policy: %d %v", status, body)
	}
}
