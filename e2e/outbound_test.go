package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRegistrationRefusesInternalURIs: open dynamic registration must not
// let anybody make the provider send requests into its own network. A
// jwks_uri or backchannel_logout_uri on loopback, a name resolving to it,
// or the link-local metadata address is refused with invalid_client_metadata
// (RFC 7591 §3.2.2, §5) while the allow-list does not name it; once
// outbound.allow names loopback the same registration succeeds.
func TestRegistrationRefusesInternalURIs(t *testing.T) {
	keys := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the provider fetched %s from a refused address", r.URL)
	}))
	defer keys.Close()
	port := keys.URL[strings.LastIndex(keys.URL, ":")+1:]
	register := func(srv *server, field, uri string) (int, map[string]any) {
		t.Helper()
		status, body, _ := registrationCall(t, http.MethodPost, srv.URL+"/oauth2/register", "", map[string]any{
			"client_name":                "Probe",
			"redirect_uris":              []string{"https://app.example/callback"},
			"token_endpoint_auth_method": "private_key_jwt",
			field:                        uri,
			// private_key_jwt needs keys; a jwks_uri case brings its own.
		})
		return status, body
	}

	strict := newServer(t, database(t, "sqlite"))
	// The issuer is on loopback, whose development default allows loopback:
	// an empty list turns that off.
	withConfig(t, strict, "dcr:\n  enabled: true\n  mode: open\noutbound:\n  allow: []\n")
	strict.start(15 * time.Second)
	for _, c := range []struct{ field, uri string }{
		{"jwks_uri", keys.URL + "/jwks"},
		{"jwks_uri", "https://localhost:" + port + "/jwks"},
		{"jwks_uri", "https://[::1]:" + port + "/jwks"},
		{"jwks_uri", "https://169.254.169.254/latest/meta-data"},
		{"jwks_uri", "https://10.0.0.1/jwks"},
	} {
		status, body := register(strict, c.field, c.uri)
		if status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
			t.Errorf("%s %s: %d %v, want 400 invalid_client_metadata", c.field, c.uri, status, body)
		}
	}

	allowed := newServer(t, database(t, "sqlite"))
	withConfig(t, allowed, "dcr:\n  enabled: true\n  mode: open\noutbound:\n  allow: [127.0.0.0/8]\n")
	allowed.start(15 * time.Second)
	if status, body := register(allowed, "jwks_uri", keys.URL+"/jwks"); status != http.StatusCreated {
		t.Errorf("allowed jwks_uri: %d %v, want 201", status, body)
	}
	if status, body := register(allowed, "jwks_uri", "https://10.0.0.1/jwks"); status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Errorf("jwks_uri outside the allow-list: %d %v, want 400 invalid_client_metadata", status, body)
	}
}
