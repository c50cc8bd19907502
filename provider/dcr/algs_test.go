package dcr

import (
	"net/http"
	"testing"
)

// id_token_signed_response_alg (OpenID Connect Dynamic Client Registration
// §2): an alg the key set signs with is kept and read back; absent reads
// back as RS256; an unknown alg, "none", an HMAC alg or one not enabled is
// invalid_client_metadata (RFC 7591 §3.2.2), on registration and on an RFC
// 7592 update.
func TestRegisterIDTokenAlg(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	hs.h.IDTokenAlgs = []string{"RS256", "ES256"}
	const base = `{"client_name":"A","redirect_uris":["https://a.example/cb"]`
	status, reg := hs.call(http.MethodPost, PathRegister, "", base+`,"id_token_signed_response_alg":"ES256"}`)
	if status != http.StatusCreated || reg["id_token_signed_response_alg"] != "ES256" {
		t.Fatalf("ES256 registration: %d %v", status, reg)
	}
	id := reg["client_id"].(string)
	if c, err := hs.store.GetClient(t.Context(), id); err != nil || c.IDTokenSignedResponseAlg != "ES256" {
		t.Fatalf("stored %q, %v", c.IDTokenSignedResponseAlg, err)
	}
	if status, body := hs.call(http.MethodGet, PathRegister+"/"+id, reg["registration_access_token"].(string), ""); status != http.StatusOK || body["id_token_signed_response_alg"] != "ES256" {
		t.Fatalf("read back: %d %v", status, body)
	}
	if _, plain := hs.call(http.MethodPost, PathRegister, "", base+`}`); plain["id_token_signed_response_alg"] != "RS256" {
		t.Errorf("absent alg reads back as %v, want RS256", plain["id_token_signed_response_alg"])
	}
	for _, alg := range []string{"none", "HS256", "PS256", "es256", "EdDSA"} {
		status, body := hs.call(http.MethodPost, PathRegister, "", base+`,"id_token_signed_response_alg":"`+alg+`"}`)
		if status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
			t.Errorf("alg %q: %d %v, want 400 invalid_client_metadata", alg, status, body)
		}
	}
	status, body := hs.call(http.MethodPut, PathRegister+"/"+id, reg["registration_access_token"].(string),
		`{"client_id":"`+id+`","client_secret":"`+reg["client_secret"].(string)+`","client_name":"A","redirect_uris":["https://a.example/cb"],"id_token_signed_response_alg":"EdDSA"}`)
	if status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Errorf("update to a disabled alg: %d %v", status, body)
	}
	if c, _ := hs.store.GetClient(t.Context(), id); c.IDTokenSignedResponseAlg != "ES256" {
		t.Errorf("refused update changed the alg to %q", c.IDTokenSignedResponseAlg)
	}
}
