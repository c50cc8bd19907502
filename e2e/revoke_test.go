package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// After `ostiary keys revoke KID` of the signing key on a running server:
// within keys.refresh_interval the JWKS no longer lists it, a token it
// signed fails go-oidc's verification against the JWKS and is inactive at
// introspection, and new tokens are signed at once by a new kid.
func TestKeyRevokeOnARunningServer(t *testing.T) {
	srv, client, token := keysServer(t, "  refresh_interval: 1s\n")
	introspect := func(tok string) bool {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(client["client_id"], client["client_secret"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Active bool `json:"active"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("introspection: %d %v", resp.StatusCode, err)
		}
		return body.Active
	}
	leakedToken, leaked := token()
	if !introspect(leakedToken) {
		t.Fatal("a fresh token is inactive before any revocation")
	}

	var revoked map[string]string
	srv.cli("", &revoked, "keys", "revoke", leaked)
	replacement := revoked["replacement"]
	if revoked["kid"] != leaked || replacement == "" || replacement == leaked {
		t.Fatalf("keys revoke: %v", revoked)
	}

	deadline := time.Now().Add(10 * time.Second) // the server re-reads keys every 1 s
	for strings.Contains(get(t, srv.URL+"/.well-known/jwks.json"), leaked) {
		if time.Now().After(deadline) {
			t.Fatalf("the revoked key %s is still in the JWKS", leaked)
		}
		time.Sleep(200 * time.Millisecond)
	}
	keySet := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	if _, err := keySet.VerifySignature(context.Background(), leakedToken); err == nil {
		t.Error("a token signed by the revoked key still verifies against the JWKS")
	}
	if introspect(leakedToken) {
		t.Error("a token signed by the revoked key is active at introspection")
	}
	fresh, kid := token()
	if kid != replacement {
		t.Errorf("new token signed by %s, want the replacement %s", kid, replacement)
	}
	if _, err := keySet.VerifySignature(context.Background(), fresh); err != nil {
		t.Errorf("a token of the replacement key does not verify: %v", err)
	}
	if !introspect(fresh) {
		t.Error("a token of the replacement key is inactive")
	}
	var list []map[string]any
	srv.cli("", &list, "keys", "list")
	for _, k := range list {
		if k["kid"] == leaked {
			t.Errorf("keys list still shows the revoked key: %v", k)
		}
	}
}
