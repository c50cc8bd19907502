package dcr

import (
	"net/http"
	"strings"
	"testing"
)

// TestRegisterGroupsScope: a registered client may ask for the groups
// scope like the other standard ones (RFC 7591 §2 scope); it is not in the
// default set, and a scope beyond the standard ones is still refused.
func TestRegisterGroupsScope(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	status, body := hs.call(http.MethodPost, PathRegister, "",
		`{"client_name":"Proxy","redirect_uris":["https://proxy.example/oauth2/callback"],"scope":"openid profile email groups"}`)
	if status != http.StatusCreated || body["scope"] != "openid profile email groups" {
		t.Fatalf("register with groups: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), body["client_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Scopes, " ") != "openid profile email groups" {
		t.Fatalf("stored scopes %v", c.Scopes)
	}
	status, body = hs.call(http.MethodPost, PathRegister, "",
		`{"client_name":"Default","redirect_uris":["https://d.example/cb"]}`)
	if status != http.StatusCreated || strings.Contains(body["scope"].(string), "groups") {
		t.Fatalf("default scopes include groups: %d %v", status, body)
	}
	status, body = hs.call(http.MethodPost, PathRegister, "",
		`{"client_name":"Bad","redirect_uris":["https://b.example/cb"],"scope":"openid groups:all"}`)
	if status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Fatalf("unknown scope: %d %v", status, body)
	}
}
