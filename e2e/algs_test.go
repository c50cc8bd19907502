package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
)

func TestSigningAlgorithmsSQLite(t *testing.T)   { signingAlgorithms(t, "sqlite") }
func TestSigningAlgorithmsPostgres(t *testing.T) { signingAlgorithms(t, "postgres") }

// signingAlgorithms: a server with keys.algorithms [RS256, ES256, EdDSA]
// publishes an EC (RFC 7518 §6.2) and an OKP (RFC 8037 §2) key, says so in
// discovery, and signs the ID tokens of a client registered with
// `--id-token-alg ES256` / `EdDSA` with that alg. go-oidc at its defaults
// (discovery, JWKS, at_hash) verifies them; each then serves as the
// id_token_hint of an RP-initiated logout.
func signingAlgorithms(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, []byte("keys:\n  algorithms: [RS256, ES256, EdDSA]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Args = []string{"--config", config}
	srv.start(15 * time.Second)
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")

	var disc struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/.well-known/openid-configuration")), &disc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(disc.Algs, []string{"RS256", "ES256", "EdDSA"}) {
		t.Fatalf("id_token_signing_alg_values_supported = %v", disc.Algs)
	}
	var jwks struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/.well-known/jwks.json")), &jwks); err != nil {
		t.Fatal(err)
	}
	byAlg := map[string]map[string]string{}
	for _, k := range jwks.Keys {
		byAlg[k["alg"]] = k
	}
	if k := byAlg["ES256"]; k["kty"] != "EC" || k["crv"] != "P-256" || k["x"] == "" || k["y"] == "" || k["d"] != "" {
		t.Errorf("ES256 JWK %v", k)
	}
	if k := byAlg["EdDSA"]; k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["x"] == "" || k["d"] != "" {
		t.Errorf("EdDSA JWK %v", k)
	}
	if k := byAlg["RS256"]; k["kty"] != "RSA" {
		t.Errorf("RS256 JWK %v", k)
	}

	ctx := newBrowser(t)
	for _, alg := range []string{"ES256", "EdDSA"} {
		rp := newRelyingParty(t)
		var client map[string]string
		srv.cli("", &client, "clients", "create", "--name", alg+" App", "--first-party", "--id-token-alg", alg,
			"--redirect-uri", rp.srv.URL+"/callback", "--post-logout-redirect-uri", rp.srv.URL+"/logged-out")
		rp.connect(srv.URL, client["client_id"], client["client_secret"])
		signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
		waitText(t, ctx, "RP:")
		res := rp.result()
		if res.Error != "" {
			t.Fatalf("%s: the relying party failed: %s", alg, res.Error)
		}
		head, _, _ := strings.Cut(res.RawID, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(head)
		var h map[string]string
		_ = json.Unmarshal(raw, &h)
		if h["alg"] != alg || byAlg[alg]["kid"] != h["kid"] {
			t.Fatalf("%s client's ID token header %v, want alg %s kid %s", alg, h, alg, byAlg[alg]["kid"])
		}
		// The access token keeps RS256.
		head, _, _ = strings.Cut(res.Token.AccessToken, ".")
		raw, _ = base64.RawURLEncoding.DecodeString(head)
		if !strings.Contains(string(raw), `"RS256"`) {
			t.Errorf("access token header %s, want RS256", raw)
		}
		// The hint verifies at the server: the logout returns to the client.
		q := url.Values{"id_token_hint": {res.RawID}, "post_logout_redirect_uri": {rp.srv.URL + "/logged-out"}, "state": {"s-" + alg}}
		do(t, ctx, chromedp.Navigate(srv.URL+"/oauth2/logout?"+q.Encode()))
		waitText(t, ctx, "RP: logged out")
		if r := rp.result(); !r.LoggedOut || r.State != "s-"+alg {
			t.Fatalf("%s logout return: %+v", alg, r)
		}
	}

	// An alg the server does not sign with is refused at registration.
	if err := srv.CLI(t.Context(), "", nil, "clients", "create", "--name", "Bad", "--id-token-alg", "PS256",
		"--redirect-uri", "https://bad.example/cb"); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("--id-token-alg PS256: %v", err)
	}
}

// TestES256AccessTokensOnARunningServer: tokens.access_token_alg ES256 signs
// client_credentials tokens with the EC key, which verify through the JWKS;
// revoking that key makes the server sign with its EC replacement.
func TestES256AccessTokensOnARunningServer(t *testing.T) {
	srv, _, token := keysServer(t, "  algorithms: [RS256, ES256]\n  refresh_interval: 1s\ntokens:\n  access_token_alg: ES256\n")
	raw, kid := token()
	head, _, _ := strings.Cut(raw, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(head)
	if !strings.Contains(string(hb), `"alg":"ES256"`) {
		t.Fatalf("access token header %s, want ES256", hb)
	}
	keySet := oidc.NewRemoteKeySet(t.Context(), srv.URL+"/.well-known/jwks.json")
	if _, err := keySet.VerifySignature(t.Context(), raw); err != nil {
		t.Fatalf("ES256 access token does not verify through the JWKS: %v", err)
	}
	var revoked map[string]string
	srv.cli("", &revoked, "keys", "revoke", kid)
	if revoked["replacement"] == "" {
		t.Fatalf("keys revoke: %v", revoked)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, now := token()
		if now == revoked["replacement"] {
			if _, err := oidc.NewRemoteKeySet(t.Context(), srv.URL+"/.well-known/jwks.json").VerifySignature(t.Context(), raw); err != nil {
				t.Fatalf("token of the replacement EC key: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still signing with %s after revoking %s", now, kid)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if strings.Contains(get(t, srv.URL+"/.well-known/jwks.json"), kid) {
		t.Error("the revoked EC key is still published")
	}
}
