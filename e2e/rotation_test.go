package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"
)

// After `ostiary keys rotate` on a running server: the new key is published
// first, signs once the pre-publication delay has passed (and the server has
// seen the rotation), and a token signed before the rotation still verifies
// against the JWKS.
func TestKeyRotationOnARunningServer(t *testing.T) {
	// A short refresh interval: the server sees the rotation within 1 s.
	srv, _, token := keysServer(t, "  pre_publication: 2s\n  refresh_interval: 1s\n")
	before, oldKid := token()

	var rotated map[string]any
	srv.cli("", &rotated, "keys", "rotate")
	newKid, _ := rotated["kid"].(string)
	if newKid == "" || newKid == oldKid {
		t.Fatalf("keys rotate: %v", rotated)
	}

	deadline := time.Now().Add(15 * time.Second) // pre-publication plus the 1 s refresh
	for {
		_, kid := token()
		if kid == newKid {
			break
		}
		if kid != oldKid {
			t.Fatalf("token signed by unknown kid %q", kid)
		}
		if time.Now().After(deadline) {
			t.Fatalf("new key %s never started signing", newKid)
		}
		time.Sleep(500 * time.Millisecond)
	}
	jwks := get(t, srv.URL+"/.well-known/jwks.json")
	if !strings.Contains(jwks, oldKid) || !strings.Contains(jwks, newKid) {
		t.Fatalf("JWKS must publish both keys after rotation: %s", jwks)
	}
	keySet := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	if _, err := keySet.VerifySignature(context.Background(), before); err != nil {
		t.Fatalf("a token signed before the rotation no longer verifies: %v", err)
	}
	after, _ := token()
	if _, err := keySet.VerifySignature(context.Background(), after); err != nil {
		t.Fatalf("a token signed by the new key does not verify: %v", err)
	}
}

func headerKid(t *testing.T, jwt string) string {
	t.Helper()
	h, _, _ := strings.Cut(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	json.Unmarshal(b, &hdr)
	return hdr.Kid
}

// With keys.rotation_interval set, a running server rotates by itself: a
// new key is published, then signs after the pre-publication delay, and
// the token signed before still verifies against the JWKS.
func TestScheduledRotationOnARunningServer(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	config := filepath.Join(t.TempDir(), "config.yaml")
	srv.Args = []string{"--config", config}
	if err := os.WriteFile(config, []byte("keys:\n  rotation_interval: 4s\n  pre_publication: 1s\n  refresh_interval: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.start(10 * time.Second)
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "Machine", "--grant-type", "client_credentials", "--scope", "api")
	cc := clientcredentials.Config{ClientID: client["client_id"], ClientSecret: client["client_secret"],
		TokenURL: srv.URL + "/oauth2/token", Scopes: []string{"api"}}
	first, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	oldKid := headerKid(t, first.AccessToken)
	deadline := time.Now().Add(20 * time.Second)
	for {
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if kid := headerKid(t, tok.AccessToken); kid != oldKid {
			jwks := get(t, srv.URL+"/.well-known/jwks.json")
			if !strings.Contains(jwks, kid) || !strings.Contains(jwks, oldKid) {
				t.Fatalf("JWKS after the scheduled rotation must list both keys: %s", jwks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the schedule never rotated the signing key")
		}
		time.Sleep(300 * time.Millisecond)
	}
	keySet := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	if _, err := keySet.VerifySignature(context.Background(), first.AccessToken); err != nil {
		t.Errorf("a token signed before the scheduled rotation no longer verifies: %v", err)
	}
	if !strings.Contains(srv.logs(), "rotated the signing key on schedule") {
		t.Error("the server did not log the scheduled rotation")
	}
}

// keysServer starts a server on SQLite with keysYAML under keys: in its
// config and a client_credentials client, and returns the client and a way
// to get an access token and the kid that signed it.
func keysServer(t *testing.T, keysYAML string) (srv *server, client map[string]string, token func() (raw, kid string)) {
	t.Helper()
	srv = newServer(t, database(t, "sqlite"))
	config := filepath.Join(t.TempDir(), "config.yaml")
	srv.Args = []string{"--config", config}
	if err := os.WriteFile(config, []byte("keys:\n"+keysYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.start(10 * time.Second)
	srv.cli("", &client, "clients", "create", "--name", "Machine", "--grant-type", "client_credentials", "--scope", "api")
	cc := clientcredentials.Config{ClientID: client["client_id"], ClientSecret: client["client_secret"],
		TokenURL: srv.URL + "/oauth2/token", Scopes: []string{"api"}}
	return srv, client, func() (raw, kid string) {
		t.Helper()
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatalf("client_credentials: %v", err)
		}
		return tok.AccessToken, headerKid(t, tok.AccessToken)
	}
}
