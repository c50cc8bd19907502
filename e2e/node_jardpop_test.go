package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenIDClientJARSQLite(t *testing.T)    { openIDClientJAR(t, "sqlite") }
func TestOpenIDClientJARPostgres(t *testing.T)  { openIDClientJAR(t, "postgres") }
func TestOpenIDClientDPoPSQLite(t *testing.T)   { openIDClientDPoP(t, "sqlite") }
func TestOpenIDClientDPoPPostgres(t *testing.T) { openIDClientDPoP(t, "postgres") }

// openIDClientJAR: openid-client v6 (Node) generates an ES256 key pair; the
// test publishes its public key at a jwks_uri and registers the client with
// the CLI (--jwks-uri, --request-object-alg ES256,
// --require-signed-request-object). openid-client signs its authorization
// request into a request object (buildAuthorizationUrlWithJAR, RFC 9101)
// at its defaults, Chromium follows the URL and signs in, and openid-client
// redeems the code. The client must sign, so only the signed path can have
// worked.
func openIDClientJAR(t *testing.T, db string) {
	needNode(t)
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	cb := newCallbackRecorder(t)
	ns := startNodeScript(t, srv, "jar.mjs", "ISSUER="+srv.URL, "REDIRECT_URI="+cb.srv.URL+"/callback")
	jwk, _ := ns.next("key pair")["jwk"].(map[string]any)
	if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk["d"] != nil {
		t.Fatalf("public JWK %v", jwk)
	}
	var mu sync.Mutex
	fetched := 0
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		fetched++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk}})
	}))
	t.Cleanup(keys.Close)

	var ada, app map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &app, "clients", "create", "--name", "Node Signed App", "--first-party",
		"--jwks-uri", keys.URL+"/jwks.json", "--request-object-alg", "ES256", "--require-signed-request-object",
		"--token-endpoint-auth-method", "client_secret_post", "--redirect-uri", cb.srv.URL+"/callback")
	creds, _ := json.Marshal(map[string]string{"client_id": app["client_id"], "client_secret": app["client_secret"]})
	ns.send(string(creds))

	authURL, err := url.Parse(ns.next("discovery and request object")["authorization_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 9101 §5: the parameters travel inside the request object; the
	// URL carries client_id (and the request) only.
	q := authURL.Query()
	keysInURL := make([]string, 0, len(q))
	for k := range q {
		keysInURL = append(keysInURL, k)
	}
	slices.Sort(keysInURL)
	if !slices.Equal(keysInURL, []string{"client_id", "request"}) || strings.Count(q.Get("request"), ".") != 2 {
		t.Fatalf("authorization URL %s, want client_id and a signed request only", authURL)
	}

	ctx := newBrowser(t)
	signInFrom(t, ctx, authURL.String(), "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: callback received")
	ns.send(cb.url())
	res := ns.next("code exchange")
	claims, _ := res["claims"].(map[string]any)
	if claims["sub"] != ada["id"] || claims["email"] != "ada@example.com" || claims["iss"] != srv.URL || !slices.Equal(toStrings(claims["aud"]), []string{app["client_id"]}) {
		t.Fatalf("ID token claims %v", claims)
	}
	ns.done()
	mu.Lock()
	defer mu.Unlock()
	if fetched == 0 {
		t.Fatal("the server never fetched the client's jwks_uri")
	}
}

// openIDClientDPoP: a public client registered with
// --dpop-bound-access-tokens; openid-client v6 (Node) builds the
// authorization URL, Chromium signs in, and openid-client redeems the code
// with a DPoP handle (randomDPoPKeyPair, getDPoPHandle, RFC 9449). The
// tokens come back as DPoP, the access token's cnf.jkt is the key's
// thumbprint, and userinfo serves it through fetchProtectedResource with
// the same handle.
func openIDClientDPoP(t *testing.T, db string) {
	needNode(t)
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	cb := newCallbackRecorder(t)
	var ada, app map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &app, "clients", "create", "--name", "Node DPoP SPA", "--public", "--first-party", "--dpop-bound-access-tokens",
		"--redirect-uri", cb.srv.URL+"/callback")

	ns := startNodeScript(t, srv, "dpop.mjs", "ISSUER="+srv.URL, "CLIENT_ID="+app["client_id"], "REDIRECT_URI="+cb.srv.URL+"/callback")
	authURL := ns.next("discovery")["authorization_url"].(string)
	ctx := newBrowser(t)
	signInFrom(t, ctx, authURL, "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: callback received")
	ns.send(cb.url())
	res := ns.next("DPoP code exchange and userinfo")
	if tt, _ := res["token_type"].(string); !strings.EqualFold(tt, "DPoP") {
		t.Fatalf("token_type %v, want DPoP", res["token_type"])
	}
	cnf, _ := res["cnf"].(map[string]any)
	if jkt, _ := res["jkt"].(string); jkt == "" || cnf["jkt"] != jkt {
		t.Fatalf("cnf %v, key thumbprint %v", cnf, res["jkt"])
	}
	userinfo, _ := res["userinfo"].(map[string]any)
	if userinfo["sub"] != ada["id"] || res["sub"] != ada["id"] || userinfo["email"] != "ada@example.com" {
		t.Fatalf("userinfo %v, ID token sub %v, want %s", userinfo, res["sub"], ada["id"])
	}
	ns.done()
}
