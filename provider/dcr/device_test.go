package dcr

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ostiary/ostiary/provider/clients"
)

// TestRegisterDeviceClient: a command-line tool registers for the device
// authorization grant (RFC 8628) without any redirect URI; a client that
// names neither the code nor the device grant is refused as before.
func TestRegisterDeviceClient(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	status, body := hs.call(http.MethodPost, PathRegister, "",
		`{"client_name":"CLI","redirect_uris":[],"token_endpoint_auth_method":"none","grant_types":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"]}`)
	if status != http.StatusCreated {
		t.Fatalf("device registration: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), body["client_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Public || !slices.Contains(c.GrantTypes, clients.GrantDeviceCode) || len(c.RedirectURIs) != 0 {
		t.Errorf("stored client %+v", c)
	}
	status, body = hs.call(http.MethodPost, PathRegister, "",
		`{"client_name":"CLI","redirect_uris":[],"token_endpoint_auth_method":"none","grant_types":["refresh_token"]}`)
	if status != http.StatusBadRequest {
		t.Errorf("refresh-only registration: %d %v, want 400", status, body)
	}
}
