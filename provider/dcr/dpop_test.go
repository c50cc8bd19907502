package dcr

import (
	"net/http"
	"testing"
)

// dpop_bound_access_tokens (RFC 9449 §5.2, client metadata): kept and read
// back when true, absent (false) otherwise, and not a boolean is
// invalid_client_metadata.
func TestRegisterDPoPBoundAccessTokens(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	const base = `{"client_name":"A","redirect_uris":["https://a.example/cb"]`
	status, reg := hs.call(http.MethodPost, PathRegister, "", base+`,"dpop_bound_access_tokens":true}`)
	if status != http.StatusCreated || reg["dpop_bound_access_tokens"] != true {
		t.Fatalf("registration: %d %v", status, reg)
	}
	id := reg["client_id"].(string)
	if c, err := hs.store.GetClient(t.Context(), id); err != nil || !c.DPoPBoundAccessTokens {
		t.Fatalf("stored %v, %v", c.DPoPBoundAccessTokens, err)
	}
	if status, body := hs.call(http.MethodGet, PathRegister+"/"+id, reg["registration_access_token"].(string), ""); status != http.StatusOK || body["dpop_bound_access_tokens"] != true {
		t.Fatalf("read back: %d %v", status, body)
	}
	if _, plain := hs.call(http.MethodPost, PathRegister, "", base+`}`); plain["dpop_bound_access_tokens"] != nil {
		t.Errorf("absent reads back as %v", plain["dpop_bound_access_tokens"])
	}
	if status, body := hs.call(http.MethodPost, PathRegister, "", base+`,"dpop_bound_access_tokens":"yes"}`); status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Errorf("a string: %d %v, want 400 invalid_client_metadata", status, body)
	}
}
