package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// withConfig points the server (and its CLI) at a config file with body.
func withConfig(t *testing.T, srv *server, body string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Args = []string{"--config", path}
}

// registrationCall is one plain HTTP request to a registration endpoint, as
// a developer's script would send it.
func registrationCall(t *testing.T, method, url, token string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %s", method, url, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

// dynamicClientRegistration: a developer registers a client over plain
// HTTP with an initial access token (RFC 7591), the new client signs a user
// in through the consent page with code + PKCE, and the developer then reads,
// updates and deletes it with its registration access token (RFC 7592).
func TestDynamicClientRegistrationSQLite(t *testing.T)   { dynamicClientRegistration(t, "sqlite") }
func TestDynamicClientRegistrationPostgres(t *testing.T) { dynamicClientRegistration(t, "postgres") }

func dynamicClientRegistration(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	withConfig(t, srv, "dcr:\n  enabled: true\n  mode: initial_access_token\n")
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)

	// Discovery advertises the endpoint once registration is on.
	_, disc, _ := registrationCall(t, http.MethodGet, srv.URL+"/.well-known/openid-configuration", "", nil)
	endpoint, _ := disc["registration_endpoint"].(string)
	if endpoint != srv.URL+"/oauth2/register" {
		t.Fatalf("registration_endpoint = %q, want %q", endpoint, srv.URL+"/oauth2/register")
	}

	var iat map[string]string
	srv.cli("", &iat, "dcr", "token", "create", "--expires", "1h")
	if iat["initial_access_token"] == "" || iat["expires_at"] == "" {
		t.Fatalf("dcr token create printed %v", iat)
	}

	meta := map[string]any{
		"client_name":    "Registered App",
		"redirect_uris":  []string{rp.srv.URL + "/callback"},
		"grant_types":    []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"},
		"scope":          "openid profile email offline_access",
		"policy_uri":     "https://app.example/privacy",
		"contacts":       []string{"dev@app.example"}, // not kept; ignored as RFC 7591 §2 says
	}

	// Without or with a wrong initial access token: 401, nothing registered.
	for _, tok := range []string{"", "not-" + iat["initial_access_token"]} {
		status, body, hdr := registrationCall(t, http.MethodPost, endpoint, tok, meta)
		if status != http.StatusUnauthorized || body["error"] != "invalid_token" || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("registration with token %q: %d %v %q, want 401 invalid_token with a Bearer challenge", tok, status, body, hdr.Get("WWW-Authenticate"))
		}
	}

	// Metadata errors: RFC 7591 §3.2.2 codes, 400.
	bad := func(change map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range meta {
			m[k] = v
		}
		for k, v := range change {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		change map[string]any
		code   string
	}{
		{map[string]any{"redirect_uris": []string{"http://app.example/callback"}}, "invalid_redirect_uri"},
		{map[string]any{"redirect_uris": []string{"https://app.example/callback#frag"}}, "invalid_redirect_uri"},
		{map[string]any{"logo_uri": "http://app.example/logo.png"}, "invalid_client_metadata"},
		{map[string]any{"grant_types": []string{"implicit"}}, "invalid_client_metadata"},
		{map[string]any{"grant_types": []string{"password"}}, "invalid_client_metadata"},
		{map[string]any{"scope": "openid ostiary:admin"}, "invalid_client_metadata"},
	} {
		status, body, _ := registrationCall(t, http.MethodPost, endpoint, iat["initial_access_token"], bad(c.change))
		if status != http.StatusBadRequest || body["error"] != c.code {
			t.Fatalf("registration with %v: %d %v, want 400 %s", c.change, status, body, c.code)
		}
	}

	status, reg, _ := registrationCall(t, http.MethodPost, endpoint, iat["initial_access_token"], meta)
	if status != http.StatusCreated {
		t.Fatalf("registration: %d %v, want 201", status, reg)
	}
	clientID, _ := reg["client_id"].(string)
	secret, _ := reg["client_secret"].(string)
	rat, _ := reg["registration_access_token"].(string)
	clientURI, _ := reg["registration_client_uri"].(string)
	if clientID == "" || secret == "" || rat == "" || clientURI != endpoint+"/"+clientID ||
		reg["client_secret_expires_at"] != float64(0) || reg["client_id_issued_at"] == nil ||
		reg["client_name"] != "Registered App" || reg["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Fatalf("registration response: %v", reg)
	}
	if _, ok := reg["contacts"]; ok {
		t.Fatalf("registration response echoes metadata that is not kept: %v", reg)
	}

	// The registered client is third-party: the user sees the consent
	// page naming it; code + PKCE then completes with x/oauth2.
	rp.connect(srv.URL, clientID, secret)
	var grace map[string]string
	srv.cli(adaPassword+"\n", &grace, "users", "create", "--email", "grace@example.com", "--name", "Grace Hopper", "--password-stdin", "--verified")
	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.Navigate(rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)),
	)
	if text := bodyText(t, ctx); !strings.Contains(text, "Registered App") {
		t.Fatalf("consent page does not name the registered client:\n%s", text)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Error != "" || res.Claims["sub"] != grace["id"] || res.Token.RefreshToken == "" {
		t.Fatalf("sign-in through the registered client: error %q, claims %v", res.Error, res.Claims)
	}
	if aud, _ := res.Claims["aud"].(string); aud != clientID {
		if list, _ := res.Claims["aud"].([]any); len(list) != 1 || list[0] != clientID {
			t.Fatalf("ID token aud = %v, want %s", res.Claims["aud"], clientID)
		}
	}

	// RFC 7592 read: the right token only.
	for _, tok := range []string{"", iat["initial_access_token"], rat + "x"} {
		if status, body, _ := registrationCall(t, http.MethodGet, clientURI, tok, nil); status != http.StatusUnauthorized {
			t.Fatalf("read with token %q: %d %v, want 401", tok, status, body)
		}
	}
	status, got, _ := registrationCall(t, http.MethodGet, clientURI, rat, nil)
	if status != http.StatusOK || got["client_id"] != clientID || got["client_name"] != "Registered App" || got["client_secret"] != nil {
		t.Fatalf("read: %d %v", status, got)
	}
	// Another client's id with this token: refused like a wrong token.
	if status, _, _ := registrationCall(t, http.MethodGet, endpoint+"/someone-else", rat, nil); status != http.StatusUnauthorized {
		t.Fatalf("read of another client id: %d, want 401", status)
	}

	// RFC 7592 update: full replacement; a bad redirect URI changes nothing.
	update := bad(map[string]any{"client_id": clientID, "client_name": "Registered App v2", "redirect_uris": []string{"http://app.example/cb"}})
	if status, body, _ := registrationCall(t, http.MethodPut, clientURI, rat, update); status != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" {
		t.Fatalf("update with an http redirect URI: %d %v", status, body)
	}
	update["redirect_uris"] = []string{rp.srv.URL + "/callback"}
	if status, body, _ := registrationCall(t, http.MethodPut, clientURI, rat+"x", update); status != http.StatusUnauthorized {
		t.Fatalf("update with a wrong token: %d %v", status, body)
	}
	status, upd, _ := registrationCall(t, http.MethodPut, clientURI, rat, update)
	newRAT, _ := upd["registration_access_token"].(string)
	if status != http.StatusOK || upd["client_name"] != "Registered App v2" || newRAT == "" || newRAT == rat {
		t.Fatalf("update: %d %v, want 200 with the new name and a new registration access token", status, upd)
	}
	// The token was rotated: the old one no longer works.
	if status, _, _ := registrationCall(t, http.MethodGet, clientURI, rat, nil); status != http.StatusUnauthorized {
		t.Fatalf("read with the rotated-out token: %d, want 401", status)
	}
	if _, got, _ = registrationCall(t, http.MethodGet, clientURI, newRAT, nil); got["client_name"] != "Registered App v2" {
		t.Fatalf("read after update: %v", got)
	}
	// The secret still authenticates at the token endpoint after the update.
	if _, err := tryRefresh(rp, res.Token.RefreshToken); err != nil {
		t.Fatalf("refresh with the registered client after update: %v", err)
	}

	// RFC 7592 delete: a wrong token is refused, the right one removes the
	// client, after which neither the token nor the client works.
	if status, _, _ := registrationCall(t, http.MethodDelete, clientURI, rat, nil); status != http.StatusUnauthorized {
		t.Fatalf("delete with the old token: %d, want 401", status)
	}
	if status, body, _ := registrationCall(t, http.MethodDelete, clientURI, newRAT, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %v, want 204", status, body)
	}
	if status, _, _ := registrationCall(t, http.MethodGet, clientURI, newRAT, nil); status != http.StatusUnauthorized {
		t.Fatalf("read after delete: %d, want 401", status)
	}
	var listed []map[string]any
	srv.cli("", &listed, "clients", "list")
	for _, c := range listed {
		if c["client_id"] == clientID || c["id"] == clientID {
			t.Fatalf("deleted client still listed: %v", c)
		}
	}

	// The operator revokes the initial access token on the running server:
	// it registers nothing from then on.
	var tokens []map[string]any
	srv.cli("", &tokens, "dcr", "token", "list")
	if len(tokens) != 1 || tokens[0]["id"] != iat["id"] || tokens[0]["expired"] != false {
		t.Fatalf("dcr token list = %v, want the one token %s", tokens, iat["id"])
	}
	var revoked map[string]string
	srv.cli("", &revoked, "dcr", "token", "revoke", "--id", iat["id"][:8])
	if revoked["revoked"] != iat["id"] {
		t.Fatalf("dcr token revoke printed %v", revoked)
	}
	if status, body, _ := registrationCall(t, http.MethodPost, endpoint, iat["initial_access_token"], meta); status != http.StatusUnauthorized || body["error"] != "invalid_token" {
		t.Fatalf("registration with the revoked token: %d %v, want 401 invalid_token", status, body)
	}
}

// TestDynamicClientRegistrationOff: by default there is no registration
// endpoint and discovery does not mention one.
func TestDynamicClientRegistrationOff(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	srv.start(15 * time.Second)
	_, disc, _ := registrationCall(t, http.MethodGet, srv.URL+"/.well-known/openid-configuration", "", nil)
	if _, ok := disc["registration_endpoint"]; ok {
		t.Fatalf("discovery advertises registration while it is off: %v", disc["registration_endpoint"])
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/register", strings.NewReader(`{"client_name":"x","redirect_uris":["https://a.example/cb"]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /oauth2/register while off: %d, want 404", resp.StatusCode)
	}
}
