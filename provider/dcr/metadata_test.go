package dcr

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestRegisterAudiences: a client registered with an initial access token
// may carry the audiences (RFC 8707 resource indicators) its tokens are
// for; open registration may not, or anyone could claim any API's audience.
func TestRegisterAudiences(t *testing.T) {
	meta := `{"client_name":"A","redirect_uris":["https://a.example/cb"],"audience":["https://api.example","urn:example:billing"]}`
	open := newHarness(t, ModeOpen)
	if status, body := open.call(http.MethodPost, PathRegister, "", meta); status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Fatalf("open registration with audiences: %d %v", status, body)
	}

	hs := newHarness(t, ModeInitialAccessToken)
	tok, _, err := NewInitialAccessToken(t.Context(), hs.store, time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	status, body := hs.call(http.MethodPost, PathRegister, tok, meta)
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), body["client_id"].(string))
	if err != nil || !slices.Equal(c.Audiences, []string{"https://api.example", "urn:example:billing"}) {
		t.Fatalf("stored audiences %v, %v", c.Audiences, err)
	}
	if aud, _ := body["audience"].([]any); len(aud) != 2 {
		t.Fatalf("response audience %v", body["audience"])
	}
	for _, bad := range []string{`"/relative"`, `"https://api.example/#x"`, `""`} {
		m := `{"client_name":"A","redirect_uris":["https://a.example/cb"],"audience":[` + bad + `]}`
		if status, body := hs.call(http.MethodPost, PathRegister, tok, m); status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
			t.Errorf("audience %s: %d %v", bad, status, body)
		}
	}
}

// TestRegisterPKCERequired: pkce_required=false lets a confidential client
// send no code_challenge; a public client cannot be let off (RFC 9700
// §2.1.1); absent means required.
func TestRegisterPKCERequired(t *testing.T) {
	hs := newHarness(t, ModeOpen)
	status, body := hs.call(http.MethodPost, PathRegister, "", `{"client_name":"Proxy","redirect_uris":["https://a.example/cb"],"pkce_required":false}`)
	if status != http.StatusCreated || body["pkce_required"] != false {
		t.Fatalf("register: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), body["client_id"].(string))
	if err != nil || !c.PKCEOptional {
		t.Fatalf("stored PKCEOptional %v, %v", c.PKCEOptional, err)
	}
	status, body = hs.call(http.MethodPost, PathRegister, "", `{"client_name":"Web","redirect_uris":["https://a.example/cb"]}`)
	if status != http.StatusCreated || body["pkce_required"] != true {
		t.Fatalf("default: %d %v", status, body)
	}
	status, body = hs.call(http.MethodPost, PathRegister, "", `{"client_name":"SPA","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none","pkce_required":false}`)
	if status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Fatalf("public client without PKCE: %d %v", status, body)
	}
}
