package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// jarClient is a confidential third-party client that signs request
// objects with the keys of its registered jwks (or, jarURIClient, of its
// jwks_uri).
var (
	jarClient    = testClient{"jar", "jar-secret-0123456789abcdefghijklmnopqrstuv", "https://jar.example/cb", false}
	jarURIClient = testClient{"jar-uri", "jar-uri-secret-0123456789abcdefghijklmnopq", "https://jar-uri.example/cb", false}
)

type jarKeys struct {
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	ed    ed25519.PrivateKey
	other *rsa.PrivateKey // not registered
}

func (k jarKeys) signing(alg jose.SignatureAlgorithm) (crypto.Signer, string) {
	switch alg {
	case jose.ES256:
		return k.ec, "e1"
	case jose.EdDSA:
		return k.ed, "d1"
	}
	return k.rsa, "r1"
}

func (k jarKeys) jwks() []byte {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		// No alg and no use on the RSA key: it serves RS256 and PS256.
		{Key: &k.rsa.PublicKey, KeyID: "r1"},
		{Key: &k.ec.PublicKey, KeyID: "e1", Algorithm: "ES256", Use: "sig"},
		{Key: k.ed.Public(), KeyID: "d1", Algorithm: "EdDSA"},
	}}
	b, _ := json.Marshal(set)
	return b
}

// newJARHarness registers jarClient with its keys inline and jarURIClient
// with them at a jwks_uri.
func newJARHarness(t *testing.T, mutate ...func(*storage.Client)) (*harness, jarKeys) {
	h := newHarness(t)
	var k jarKeys
	var err error
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	h.must("rsa", err)
	k.other, err = rsa.GenerateKey(rand.Reader, 2048)
	h.must("rsa", err)
	k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h.must("ecdsa", err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	h.must("ed25519", err)
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(k.jwks())
	}))
	t.Cleanup(jwksSrv.Close)
	now := h.clock.Now()
	for _, c := range []storage.Client{
		{ID: jarClient.id, SecretHash: randtoken.Hash(jarClient.secret), RedirectURIs: []string{jarClient.redirect}, JWKS: k.jwks()},
		{ID: jarURIClient.id, SecretHash: randtoken.Hash(jarURIClient.secret), RedirectURIs: []string{jarURIClient.redirect}, JWKSURI: jwksSrv.URL},
	} {
		c.Name, c.GrantTypes, c.ResponseTypes = c.ID, []string{"authorization_code", "refresh_token"}, []string{"code"}
		c.Scopes = []string{"openid", "profile", "email", "offline_access", "api:read"}
		c.TokenEndpointAuthMethod, c.CreatedAt, c.UpdatedAt = "client_secret_basic", now, now
		for _, m := range mutate {
			m(&c)
		}
		h.must("CreateClient", h.store.CreateClient(context.Background(), c))
	}
	return h, k
}

// requestObject signs claims with go-jose v4 at its defaults (no typ
// header), as a client library would.
func (h *harness) requestObject(signer crypto.Signer, kid string, alg jose.SignatureAlgorithm, claims map[string]any) string {
	h.t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: signer, KeyID: kid}}, nil)
	h.must("NewSigner", err)
	tok, err := josejwt.Signed(s).Claims(claims).Serialize()
	h.must("sign request object", err)
	return tok
}

// jarClaims are a complete request object for c: the authorization
// parameters and the JWT claims RFC 9101 §4 asks for.
func (h *harness) jarClaims(c testClient, verifier, scope string) map[string]any {
	now := h.clock.Now()
	return map[string]any{
		"iss": c.id, "aud": h.issuer, "client_id": c.id, "jti": rand.Text(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"response_type": "code", "redirect_uri": c.redirect, "scope": scope,
		"state": "state-jar-0123456789", "nonce": "nonce-jar-0123456789",
		"code_challenge": s256(verifier), "code_challenge_method": "S256",
	}
}

// TestRequestObjectFlow: a request object by value (RFC 9101 §5.1) signed
// with each supported alg, built by go-jose v4 at its defaults, passed by
// x/oauth2's AuthCodeURL through the real authorization endpoint; the
// object's parameters replace the query's (RFC 9101 §5: the query asks
// for openid only, the object for openid email offline_access), the
// consent page is given exactly the object's scopes, and x/oauth2
// exchanges the code for tokens with exactly those scopes.
func TestRequestObjectFlow(t *testing.T) {
	t.Parallel()
	h, k := newJARHarness(t)
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		c   testClient
	}{
		{jose.RS256, jarClient}, {jose.PS256, jarClient}, {jose.ES256, jarClient}, {jose.EdDSA, jarClient},
		{jose.ES256, jarURIClient}, // keys from jwks_uri
	} {
		t.Run(string(tc.alg)+" "+tc.c.id, func(t *testing.T) {
			conf := oauth2.Config{
				ClientID: tc.c.id, ClientSecret: tc.c.secret, RedirectURL: tc.c.redirect, Scopes: []string{"openid"},
				Endpoint: oauth2.Endpoint{AuthURL: h.issuer + "/oauth2/authorize", TokenURL: h.issuer + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
			}
			verifier := oauth2.GenerateVerifier()
			signer, kid := k.signing(tc.alg)
			obj := h.requestObject(signer, kid, tc.alg, h.jarClaims(tc.c, verifier, "openid email offline_access"))
			authURL := conf.AuthCodeURL("outer-state-0123456789", oauth2.SetAuthURLParam("request", obj))

			var consentScope string
			loc, seen := h.agent().follow(authURL, func(a *agent, path, id string) {
				if path == PathConsent {
					ar, err := h.store.GetAuthRequest(t.Context(), id, h.clock.Now())
					h.must("GetAuthRequest", err)
					form, _ := url.ParseQuery(ar.Form)
					consentScope = form.Get("scope")
					if form.Has("request") {
						t.Errorf("parked form %v keeps the request object", form)
					}
				}
				loginAs("u1", "")(a, path, id)
			})
			if !slices.Contains(seen, PathConsent) {
				t.Fatalf("pages %v: want the consent page (third-party client)", seen)
			}
			if consentScope != "openid email offline_access" {
				t.Errorf("consent page scopes %q, want the request object's", consentScope)
			}
			if loc.Query().Get("state") != "state-jar-0123456789" || loc.Query().Get("code") == "" {
				t.Fatalf("callback %s: want a code and the object's state", loc)
			}
			tok, err := conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got, _ := tok.Extra("scope").(string); !sameFields(got, "openid email offline_access") || tok.RefreshToken == "" {
				t.Errorf("token scope %q refresh %v, want the object's scopes and a refresh token", got, tok.RefreshToken != "")
			}
			if tok.Extra("id_token") == nil {
				t.Error("no ID token")
			}
		})
	}
}

func sameFields(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// unsignedJWT is header.payload with the given signature part (alg none,
// or an HMAC keyed with the client secret).
func unsignedJWT(header, claims map[string]any, sig string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	return enc(header) + "." + enc(claims) + "." + sig
}

// TestRequestObjectRefusals: each request object that must not be
// accepted answers invalid_request_object (RFC 9101 §6.3, OIDC Core
// §6.3.2) on the redirect, with the query's state; nothing of the object
// is used.
func TestRequestObjectRefusals(t *testing.T) {
	t.Parallel()
	h, k := newJARHarness(t)
	verifier := oauth2.GenerateVerifier()
	claims := func(edit func(map[string]any)) map[string]any {
		c := h.jarClaims(jarClient, verifier, "openid email")
		edit(c)
		return c
	}
	sign := func(edit func(map[string]any)) string {
		return h.requestObject(k.rsa, "r1", jose.RS256, claims(edit))
	}
	keep := func(map[string]any) {}
	replayed := sign(keep)
	hs256 := unsignedJWT(map[string]any{"alg": "HS256", "kid": "r1"}, claims(keep), base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
	for _, tc := range []struct {
		name, obj string
		want      string
		extra     url.Values
	}{
		{"bad signature (RFC 9101 §6.3)", h.requestObject(k.other, "r1", jose.RS256, claims(keep)), "invalid_request_object", nil},
		{"unknown kid", h.requestObject(k.rsa, "nope", jose.RS256, claims(keep)), "invalid_request_object", nil},
		{"alg none (never accepted)", unsignedJWT(map[string]any{"alg": "none"}, claims(keep), ""), "invalid_request_object", nil},
		{"HMAC", hs256, "invalid_request_object", nil},
		{"wrong aud (RFC 9101 §4)", sign(func(c map[string]any) { c["aud"] = "https://other.example" }), "invalid_request_object", nil},
		{"aud missing", sign(func(c map[string]any) { delete(c, "aud") }), "invalid_request_object", nil},
		{"wrong iss", sign(func(c map[string]any) { c["iss"] = "app" }), "invalid_request_object", nil},
		{"expired", sign(func(c map[string]any) { c["exp"] = h.clock.Now().Add(-time.Second).Unix() }), "invalid_request_object", nil},
		{"exp missing", sign(func(c map[string]any) { delete(c, "exp") }), "invalid_request_object", nil},
		{"exp too far ahead", sign(func(c map[string]any) { c["exp"] = h.clock.Now().Add(2 * time.Hour).Unix() }), "invalid_request_object", nil},
		{"nbf in the future", sign(func(c map[string]any) { c["nbf"] = h.clock.Now().Add(time.Minute).Unix() }), "invalid_request_object", nil},
		{"iat in the future", sign(func(c map[string]any) { c["iat"] = h.clock.Now().Add(time.Minute).Unix() }), "invalid_request_object", nil},
		{"jti missing", sign(func(c map[string]any) { delete(c, "jti") }), "invalid_request_object", nil},
		{"client_id mismatch (RFC 9101 §5)", sign(func(c map[string]any) { c["client_id"] = "app" }), "invalid_request_object", nil},
		{"response_type mismatch (OIDC Core §6.1)", sign(func(c map[string]any) { c["response_type"] = "code id_token" }), "invalid_request_object", nil},
		{"request_uri inside (RFC 9101 §4)", sign(func(c map[string]any) { c["request_uri"] = "https://x.example/r" }), "invalid_request_object", nil},
		{"oversized", sign(func(c map[string]any) { c["login_hint"] = strings.Repeat("a", maxRequestObject) }), "invalid_request_object", nil},
		{"encrypted (five parts)", "a.b.c.d.e", "invalid_request_object", nil},
		{"request and request_uri (OIDC Core §6.1)", sign(keep), "invalid_request", url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:x"}}},
		{"replayed jti (first use)", replayed, "", nil},
		{"replayed jti", replayed, "invalid_request_object", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"client_id": {jarClient.id}, "response_type": {"code"}, "scope": {"openid"},
				"redirect_uri": {jarClient.redirect}, "state": {"outer-state-0123456789"}, "request": {tc.obj}}
			for k, v := range tc.extra {
				q[k] = v
			}
			a := h.agent()
			a.signIn("u1", "o1")
			resp := a.get(h.issuer + "/oauth2/authorize?" + q.Encode())
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("status %d page %q: want a redirect", resp.StatusCode, h.pages.title)
			}
			if tc.want == "" {
				if strings.HasPrefix(loc.String(), jarClient.redirect) {
					t.Fatalf("first use answered %s, want the flow to go on", loc)
				}
				return
			}
			t.Log(loc.Query().Get("error_description"))
			if !strings.HasPrefix(loc.String(), jarClient.redirect) || loc.Query().Get("error") != tc.want ||
				loc.Query().Get("state") != "outer-state-0123456789" {
				t.Fatalf("redirect %s: want %s with the query's state", loc, tc.want)
			}
		})
	}
}

// TestRequestObjectErrorPage: when the redirect URI is not valid, a bad
// request object is reported on a page, never sent anywhere (RFC 9101
// §6.3, RFC 6749 §4.1.2.1); the object's own redirect_uri is not trusted.
func TestRequestObjectErrorPage(t *testing.T) {
	t.Parallel()
	h, k := newJARHarness(t)
	obj := h.requestObject(k.other, "r1", jose.RS256, h.jarClaims(jarClient, "v", "openid"))
	q := url.Values{"client_id": {jarClient.id}, "response_type": {"code"}, "redirect_uri": {"https://evil.example/cb"}, "request": {obj}}
	resp := h.agent().get(h.issuer + "/oauth2/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("status %d Location %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestRequestObjectClientPolicy: a client's request_object_signing_alg
// (OpenID Connect Dynamic Client Registration §2) refuses objects signed
// with another alg, and require_signed_request_object (RFC 9101 §10.5)
// refuses plain requests with invalid_request.
func TestRequestObjectClientPolicy(t *testing.T) {
	t.Parallel()
	h, k := newJARHarness(t, func(c *storage.Client) {
		c.RequestObjectSigningAlg, c.RequireSignedRequestObject = "ES256", true
	})
	verifier := oauth2.GenerateVerifier()
	a := h.agent()
	a.signIn("u1", "o1")
	try := func(q url.Values) *url.URL {
		t.Helper()
		loc, err := a.get(h.issuer + "/oauth2/authorize?" + q.Encode()).Location()
		h.must("Location", err)
		return loc
	}
	base := url.Values{"client_id": {jarClient.id}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {jarClient.redirect}, "state": {"s-0123456789"}}
	if loc := try(base); loc.Query().Get("error") != "invalid_request" {
		t.Errorf("plain request: %s, want invalid_request", loc)
	}
	rs := url.Values{"request": {h.requestObject(k.rsa, "r1", jose.RS256, h.jarClaims(jarClient, verifier, "openid"))}}
	for k, v := range base {
		rs[k] = v
	}
	if loc := try(rs); loc.Query().Get("error") != "invalid_request_object" {
		t.Errorf("RS256 object for an ES256 client: %s, want invalid_request_object", loc)
	}
	es := url.Values{"request": {h.requestObject(k.ec, "e1", jose.ES256, h.jarClaims(jarClient, verifier, "openid"))}}
	for k, v := range base {
		es[k] = v
	}
	if loc := try(es); strings.HasPrefix(loc.String(), jarClient.redirect) {
		t.Errorf("ES256 object: %s, want the flow to go on", loc)
	}
}

// TestRequestObjectReplacesQuery: of the query only client_id counts
// (RFC 9101 §5): a prompt=none in the query, absent from the object, does
// not make the request silent, and the object's state comes back. The
// object may also come in a POST body (OIDC Core §3.1.2.1).
func TestRequestObjectReplacesQuery(t *testing.T) {
	t.Parallel()
	h, k := newJARHarness(t)
	verifier := oauth2.GenerateVerifier()
	obj := h.requestObject(k.ec, "e1", jose.ES256, h.jarClaims(jarClient, verifier, "openid"))
	q := url.Values{"client_id": {jarClient.id}, "response_type": {"code"}, "scope": {"openid email"}, "prompt": {"none"},
		"state": {"outer-state-0123456789"}, "request": {obj}}
	loc, seen := h.agent().follow(h.issuer+"/oauth2/authorize?"+q.Encode(), loginAs("u1", ""))
	if len(seen) == 0 || seen[0] != PathLogin || loc.Query().Get("state") != "state-jar-0123456789" || loc.Query().Get("code") == "" {
		t.Fatalf("pages %v, callback %s: want the login page (no prompt=none) and a code with the object's state", seen, loc)
	}

	obj = h.requestObject(k.ed, "d1", jose.EdDSA, h.jarClaims(jarClient, verifier, "openid"))
	a := h.agent()
	a.signIn("u1", "o1")
	resp, err := a.client.PostForm(h.issuer+"/oauth2/authorize", url.Values{"client_id": {jarClient.id}, "response_type": {"code"}, "request": {obj}})
	h.must("POST", err)
	resp.Body.Close()
	if l, err := resp.Location(); err != nil || !strings.HasPrefix(l.String(), h.issuer+"/") {
		t.Fatalf("POST: %d %v, want the flow to go on (consent)", resp.StatusCode, l)
	}
}

// TestRequestObjectKeyRotation: an unknown kid makes the provider fetch
// the client's jwks_uri again, once, so a client that rotated its keys is
// not refused for as long as the old document is cached.
func TestRequestObjectKeyRotation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	k1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h.must("ecdsa", err)
	k2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h.must("ecdsa", err)
	current := jose.JSONWebKey{Key: &k1.PublicKey, KeyID: "k1"}
	var mu sync.Mutex
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{current}}
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(jwksSrv.Close)
	now := h.clock.Now()
	h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{
		ID: jarURIClient.id, Name: "J", SecretHash: randtoken.Hash(jarURIClient.secret), RedirectURIs: []string{jarURIClient.redirect},
		JWKSURI: jwksSrv.URL, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"},
		TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now,
	}))
	a := h.agent()
	a.signIn("u1", "o1")
	try := func(key *ecdsa.PrivateKey, kid string) *url.URL {
		t.Helper()
		obj := h.requestObject(key, kid, jose.ES256, h.jarClaims(jarURIClient, "v", "openid"))
		q := url.Values{"client_id": {jarURIClient.id}, "response_type": {"code"}, "request": {obj}}
		loc, err := a.get(h.issuer + "/oauth2/authorize?" + q.Encode()).Location()
		h.must("Location", err)
		return loc
	}
	if loc := try(k1, "k1"); loc.Query().Get("error") != "" {
		t.Fatalf("k1: %s", loc)
	}
	mu.Lock()
	current = jose.JSONWebKey{Key: &k2.PublicKey, KeyID: "k2"}
	mu.Unlock()
	if loc := try(k2, "k2"); loc.Query().Get("error") != "" {
		t.Fatalf("k2 after rotation: %s", loc)
	}
	if loc := try(k1, "k1"); loc.Query().Get("error") != "invalid_request_object" {
		t.Fatalf("k1 after rotation: %s, want invalid_request_object", loc)
	}
}
