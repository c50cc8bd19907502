package dcr

import (
	"net/http"
	"testing"
)

// request_object_signing_alg (OpenID Connect Dynamic Client Registration
// §2) and require_signed_request_object (RFC 9101 §10.5) are kept and read
// back; none, an HMAC alg or an unknown one is invalid_client_metadata
// (RFC 7591 §3.2.2), and so is requiring request objects without keys.
func TestRegisterRequestObjectMetadata(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	const base = `{"client_name":"A","redirect_uris":["https://a.example/cb"]`
	const jwks = `,"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`
	status, reg := hs.call(http.MethodPost, PathRegister, "", base+jwks+`,"request_object_signing_alg":"ES256","require_signed_request_object":true}`)
	if status != http.StatusCreated || reg["request_object_signing_alg"] != "ES256" || reg["require_signed_request_object"] != true {
		t.Fatalf("registration: %d %v", status, reg)
	}
	c, err := hs.store.GetClient(t.Context(), reg["client_id"].(string))
	if err != nil || c.RequestObjectSigningAlg != "ES256" || !c.RequireSignedRequestObject {
		t.Fatalf("stored %q %v, %v", c.RequestObjectSigningAlg, c.RequireSignedRequestObject, err)
	}
	for _, body := range []string{
		base + `,"request_object_signing_alg":"none"}`,
		base + `,"request_object_signing_alg":"HS256"}`,
		base + `,"request_object_signing_alg":"RS512"}`,
		base + `,"require_signed_request_object":true}`,
	} {
		status, out := hs.call(http.MethodPost, PathRegister, "", body)
		if status != http.StatusBadRequest || out["error"] != "invalid_client_metadata" {
			t.Errorf("%s: %d %v, want 400 invalid_client_metadata", body, status, out)
		}
	}
}
