package dcr

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// TestRegisterAudiences: a client registered with an initial access token
// may carry the audiences (RFC 8707 resource indicators) its tokens are
// for; open registration may not, or anyone could claim any API's audience.
func TestRegisterAudiences(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// TestRegisterRequirePAR: RFC 9126 §6's require_pushed_authorization_requests
// client metadata is kept and read back; absent is false.
func TestRegisterRequirePAR(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	status, body := hs.call(http.MethodPost, PathRegister, "", `{"client_name":"FAPI","redirect_uris":["https://a.example/cb"],"require_pushed_authorization_requests":true}`)
	if status != http.StatusCreated || body["require_pushed_authorization_requests"] != true {
		t.Fatalf("register: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), body["client_id"].(string))
	if err != nil || !c.RequirePushedAuthorizationRequests {
		t.Fatalf("stored %v, %v", c.RequirePushedAuthorizationRequests, err)
	}
	status, body = hs.call(http.MethodPost, PathRegister, "", `{"client_name":"Web","redirect_uris":["https://a.example/cb"]}`)
	if _, set := body["require_pushed_authorization_requests"]; status != http.StatusCreated || set {
		t.Fatalf("default: %d %v", status, body)
	}
}

// TestOpenUpdateKeepsAdminAudiences: under open registration a client may
// not claim audiences, but an RFC 7592 update that sends back what it read
// (the audiences an admin gave it) is no claim and must not be refused;
// leaving them out drops them, as §2.2 says of omitted values.
func TestOpenUpdateKeepsAdminAudiences(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	status, reg := hs.call(http.MethodPost, PathRegister, "", `{"client_name":"Web","redirect_uris":["https://a.example/cb"]}`)
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, reg)
	}
	id, rat := reg["client_id"].(string), reg["registration_access_token"].(string)
	uri := PathRegister + "/" + id
	if err := hs.store.UpdateClient(t.Context(), id, func(c storage.Client) (storage.Client, error) {
		c.Audiences = []string{"https://api.example"}
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	status, read := hs.call(http.MethodGet, uri, rat, "")
	if status != http.StatusOK {
		t.Fatalf("read: %d %v", status, read)
	}
	echo := `{"client_id":"` + id + `","client_secret":"` + reg["client_secret"].(string) + `","client_name":"Web","redirect_uris":["https://a.example/cb"],"audience":["https://api.example"]}`
	status, updated := hs.call(http.MethodPut, uri, rat, echo)
	if status != http.StatusOK {
		t.Fatalf("update sending back its audiences: %d %v", status, updated)
	}
	if next, ok := updated["registration_access_token"].(string); ok {
		rat = next // rotated on update (RFC 7592 §2.2)
	}
	claim := `{"client_id":"` + id + `","client_secret":"` + reg["client_secret"].(string) + `","client_name":"Web","redirect_uris":["https://a.example/cb"],"audience":["https://api.example","https://billing.example"]}`
	if status, body := hs.call(http.MethodPut, uri, rat, claim); status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Fatalf("update claiming another audience: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), id)
	if err != nil || !slices.Equal(c.Audiences, []string{"https://api.example"}) {
		t.Fatalf("audiences after the updates: %v, %v", c.Audiences, err)
	}
}
