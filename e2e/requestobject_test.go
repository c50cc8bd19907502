package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

func TestRequestObjectSQLite(t *testing.T)   { requestObjectFlow(t, "sqlite") }
func TestRequestObjectPostgres(t *testing.T) { requestObjectFlow(t, "postgres") }

// requestObjectFlow: a client registered by the CLI with a jwks_uri,
// --request-object-alg ES256 and --require-signed-request-object sends
// its parameters in a request object (RFC 9101 §5.1) that go-jose v4
// signs at its defaults; x/oauth2's AuthCodeURL carries it to the real
// authorization endpoint, headless Chromium signs in and consents on the
// real pages, and the consent page lists exactly the object's scopes
// (the query asks for openid only); x/oauth2 exchanges the code and gets
// those scopes. A plain request of that client is invalid_request, and
// the same object a second time invalid_request_object (its jti).
func requestObjectFlow(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "ES256"}}})
	}))
	t.Cleanup(keys.Close)
	var mu sync.Mutex
	var callback url.Values
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cb" {
			http.NotFound(w, r) // the browser's favicon
			return
		}
		mu.Lock()
		callback = r.URL.Query()
		mu.Unlock()
		_, _ = w.Write([]byte("APP: callback received"))
	}))
	t.Cleanup(app.Close)

	var user, org, client map[string]string
	srv.cli(adaPassword+"\n", &user, "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified")
	srv.cli("", &org, "orgs", "create", "--name", "Acme")
	srv.cli("", nil, "orgs", "add-member", "--org", org["id"], "--user", user["id"], "--role", "member")
	srv.cli("", &client, "clients", "create", "--name", "Signed App", "--redirect-uri", app.URL+"/cb",
		"--jwks-uri", keys.URL+"/jwks.json", "--request-object-alg", "ES256", "--require-signed-request-object", "--output", "json")
	id := client["client_id"]

	conf := oauth2.Config{ClientID: id, ClientSecret: client["client_secret"], RedirectURL: app.URL + "/cb", Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/oauth2/authorize", TokenURL: srv.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	now := time.Now()
	obj, err := josejwt.Signed(signer).Claims(map[string]any{
		"iss": id, "aud": srv.URL, "client_id": id, "jti": rand.Text(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"response_type": "code", "redirect_uri": app.URL + "/cb", "scope": "openid email offline_access",
		"state": "object-state-0123456789", "nonce": "object-nonce-0123456789",
		"code_challenge": oauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method": "S256",
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	authURL := conf.AuthCodeURL("query-state-0123456789", oauth2.SetAuthURLParam("request", obj))

	ctx := newBrowser(t)
	signInFrom(t, ctx, authURL, "ada@example.com", adaPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)))
	text := bodyText(t, ctx)
	for _, want := range []string{"Signed App", "Sign you in", "See your email address", "Stay signed in"} {
		if !strings.Contains(text, want) {
			t.Fatalf("consent page lacks %q (the request object's scopes):\n%s", want, text)
		}
	}
	if strings.Contains(text, "See your name") {
		t.Fatalf("consent page shows a scope that was not asked for:\n%s", text)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	waitText(t, ctx, "APP: callback received")
	mu.Lock()
	cb := callback
	mu.Unlock()
	if cb.Get("state") != "object-state-0123456789" || cb.Get("code") == "" {
		t.Fatalf("callback %v: want a code and the object's state", cb)
	}
	tok, err := conf.Exchange(t.Context(), cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	scope, _ := tok.Extra("scope").(string)
	got := strings.Fields(scope)
	slices.Sort(got)
	if !slices.Equal(got, []string{"email", "offline_access", "openid"}) || tok.RefreshToken == "" {
		t.Fatalf("token scope %q, refresh token %v: want the object's scopes", scope, tok.RefreshToken != "")
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ name, url, want string }{
		{"plain request (require_signed_request_object)", conf.AuthCodeURL("s-0123456789", oauth2.S256ChallengeOption(verifier)), "invalid_request"},
		{"replayed object", authURL, "invalid_request_object"},
	} {
		resp, err := noFollow.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		if loc == nil || !strings.HasPrefix(loc.String(), app.URL+"/cb") || loc.Query().Get("error") != tc.want {
			t.Errorf("%s: %d %v, want a redirect with %s", tc.name, resp.StatusCode, loc, tc.want)
		}
	}
}
