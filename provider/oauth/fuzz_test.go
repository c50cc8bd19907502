package oauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenEndpoint posts whatever a client (or anyone) can send to the
// token endpoint: any grant type, code, refresh token, client assertion and
// PKCE verifier, with or without a valid client's credentials. RFC 6749
// §5.2: a bad request is a JSON error with 400 or 401, never a 5xx; only
// client_credentials, which needs nothing but the client, may succeed.
func FuzzTokenEndpoint(f *testing.F) {
	f.Add("authorization_code", "code", "", "", "verifier", true)
	f.Add("refresh_token", "", "ory_rt_x.y", "", "", true)
	f.Add("client_credentials", "", "", "", "", false)
	f.Add("authorization_code", "\x00\xff", "", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJhcHAifQ.", "", false)
	f.Add("urn:ietf:params:oauth:grant-type:token-exchange", "", "", "a.b.c", "", true)
	f.Add("password", "", "", "", "", true)
	h := newHarness(f)
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, grant, code, refresh, assertion, verifier string, basic bool) {
		form := url.Values{"grant_type": {grant}, "code": {code}, "refresh_token": {refresh},
			"code_verifier": {verifier}, "redirect_uri": {appRedirect}, "scope": {"openid"}}
		if assertion != "" {
			form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			form.Set("client_assertion", assertion)
		}
		req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oauth2/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth(appClient.id, appClient.secret)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if grant != "client_credentials" {
				t.Fatalf("grant %q succeeded with made-up input: %s", grant, raw)
			}
			return
		}
		var body struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(raw, &body); err != nil || body.Error == "" {
			t.Fatalf("status %d, body %q is not an OAuth error", resp.StatusCode, raw)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d (%s) for a client's mistake", resp.StatusCode, body.Error)
		}
	})
}

// FuzzIDTokenHint verifies what a relying party (or anyone) passes as
// id_token_hint at the logout and authorization endpoints. A change to a
// real ID token must never yield another subject, and garbage must never
// panic the decoder.
func FuzzIDTokenHint(f *testing.F) {
	h := newHarness(f)
	a := h.agent()
	a.signIn("u1", "o1")
	idToken, _ := h.tokensFor(a, appClient)["id_token"].(string)
	if idToken == "" {
		f.Fatal("no id_token")
	}
	f.Add(idToken)
	f.Add(idToken[:len(idToken)-2])
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1MiIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjEifQ.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		hint, err := h.s.VerifyIDTokenHint(context.Background(), raw)
		if err != nil {
			return
		}
		if hint.Subject != "u1" {
			t.Fatalf("a modified token was accepted for subject %q", hint.Subject)
		}
	})
}
