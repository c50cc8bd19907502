package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/dpop/dpoptest"
	"github.com/ostiary/ostiary/storage"
)

// The client side here is dpoptest, go-jose signing proofs as RFC 9449 §4.2
// says: no DPoP client library exists for Go that these tests could drive.

// dpopToken posts to the token endpoint as c with proof as the DPoP header
// (none when empty).
func (h *harness) dpopToken(c testClient, form url.Values, proof string) (*http.Response, map[string]any) {
	h.t.Helper()
	var hdr []string
	if proof != "" {
		hdr = []string{"DPoP", proof}
	}
	user, pass := "", ""
	if c.secret == "" {
		form.Set("client_id", c.id)
	} else {
		user, pass = c.id, c.secret
	}
	return h.postForm("/oauth2/token", form, user, pass, hdr...)
}

// dpopTokens runs the code flow for c and redeems the code with a proof by k.
func (h *harness) dpopTokens(c testClient, k *dpoptest.Key) map[string]any {
	h.t.Helper()
	a := h.agent()
	a.signIn("u1", "o1")
	code, verifier := h.codeFor(a, c, nil, noPages)
	resp, body := h.dpopToken(c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {c.redirect}, "code_verifier": {verifier}}, k.Proof(h.t, "POST", h.issuer+"/oauth2/token", dpoptest.Options{}))
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("code exchange with a DPoP proof: %d %v", resp.StatusCode, body)
	}
	return body
}

// spaCodeForm runs the code flow for spaClient and returns the form that
// redeems the code, fresh on each call.
func (h *harness) spaCodeForm() func() url.Values {
	h.t.Helper()
	a := h.agent()
	a.signIn("u1", "o1")
	code, verifier := h.codeFor(a, spaClient, nil, noPages)
	return func() url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaClient.redirect}, "code_verifier": {verifier}}
	}
}

// userinfo calls the UserInfo endpoint with authorization and, when set,
// a DPoP proof.
func (h *harness) userinfo(authorization, proof string) (*http.Response, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", authorization)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp, body
}

func wantDPoPChallenge(t *testing.T, what string, resp *http.Response, body map[string]any, code string) {
	t.Helper()
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || str(body, "error") != code ||
		!strings.HasPrefix(ch, "DPoP ") || !strings.Contains(ch, `error="`+code+`"`) || !strings.Contains(ch, `algs="ES256 RS256 EdDSA"`) {
		t.Fatalf("%s: %d %v, WWW-Authenticate %q; want 401 with a DPoP challenge, error %s", what, resp.StatusCode, body, ch, code)
	}
}

// TestDPoPBoundAccessToken: RFC 9449 §5 (token_type DPoP), §6.1 (cnf.jkt
// in the JWT), §6.2 (cnf in introspection), §7.1 (the DPoP scheme with a
// proof whose ath is the token's hash), §7.2 (a bound token refused as a
// bearer token), §11.1 (a replayed proof refused).
func TestDPoPBoundAccessToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keyA, keyB := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.EdDSA)
	toks := h.dpopTokens(spaClient, keyA)
	if tt := str(toks, "token_type"); tt != "DPoP" {
		t.Fatalf("token_type = %q, want DPoP", tt)
	}
	at := str(toks, "access_token")
	_, claims := h.accessClaims(at)
	if cnf, _ := claims["cnf"].(map[string]any); cnf == nil || cnf["jkt"] != keyA.JKT(t) {
		t.Fatalf("access token cnf = %v, want jkt %s", claims["cnf"], keyA.JKT(t))
	}
	intro := h.introspect(at)
	if cnf, _ := intro["cnf"].(map[string]any); cnf == nil || cnf["jkt"] != keyA.JKT(t) || intro["token_type"] != "DPoP" {
		t.Fatalf("introspection = %v, want cnf.jkt %s and token_type DPoP", intro, keyA.JKT(t))
	}

	ui := h.issuer + "/oauth2/userinfo"
	good := keyA.Proof(t, "GET", ui, dpoptest.Options{AccessToken: at})
	if resp, body := h.userinfo("DPoP "+at, good); resp.StatusCode != http.StatusOK || body["sub"] != "u1" {
		t.Fatalf("userinfo with key A's proof: %d %v", resp.StatusCode, body)
	}
	// Must show: key B's proof, and a replayed proof, are refused.
	resp, body := h.userinfo("DPoP "+at, keyB.Proof(t, "GET", ui, dpoptest.Options{AccessToken: at}))
	wantDPoPChallenge(t, "§4.3(12) proof by key B", resp, body, "invalid_dpop_proof")
	resp, body = h.userinfo("DPoP "+at, good)
	wantDPoPChallenge(t, "§11.1 replayed proof", resp, body, "invalid_dpop_proof")

	resp, body = h.userinfo("Bearer "+at, "")
	wantDPoPChallenge(t, "§7.2 bound token as Bearer", resp, body, "invalid_token")
	resp, body = h.userinfo("Bearer "+at, keyA.Proof(t, "GET", ui, dpoptest.Options{AccessToken: at}))
	wantDPoPChallenge(t, "§7.2 bound token as Bearer beside a proof", resp, body, "invalid_token")
	resp, body = h.userinfo("DPoP "+at, "")
	wantDPoPChallenge(t, "§7.1 no proof", resp, body, "invalid_dpop_proof")
	resp, body = h.userinfo("DPoP "+at, keyA.Proof(t, "GET", ui, dpoptest.Options{}))
	wantDPoPChallenge(t, "§4.3(12) no ath", resp, body, "invalid_dpop_proof")
	resp, body = h.userinfo("DPoP "+at, keyA.Proof(t, "GET", ui, dpoptest.Options{AccessToken: "another"}))
	wantDPoPChallenge(t, "§4.3(12) ath of another token", resp, body, "invalid_dpop_proof")
	resp, body = h.userinfo("DPoP "+at, keyA.Proof(t, "POST", ui, dpoptest.Options{AccessToken: at}))
	wantDPoPChallenge(t, "§4.3(8) htm POST for GET", resp, body, "invalid_dpop_proof")
	resp, body = h.userinfo("DPoP "+at, keyA.Proof(t, "GET", h.issuer+"/oauth2/token", dpoptest.Options{AccessToken: at}))
	wantDPoPChallenge(t, "§4.3(9) htu of the token endpoint", resp, body, "invalid_dpop_proof")
	// A query on htu is ignored (§4.3 step 9).
	if resp, body := h.userinfo("DPoP "+at, keyA.Proof(t, "GET", ui+"?x=1", dpoptest.Options{AccessToken: at})); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo with a query on htu: %d %v", resp.StatusCode, body)
	}
}

// TestDPoPBearerTokenNotAsDPoP: a token issued without a proof is a bearer
// token; presented with the DPoP scheme it is refused, and as Bearer it works.
func TestDPoPBearerTokenNotAsDPoP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "o1")
	toks := h.tokensFor(a, spaClient)
	at := str(toks, "access_token")
	if str(toks, "token_type") != "Bearer" {
		t.Fatalf("token_type without a proof = %v", toks["token_type"])
	}
	if _, claims := h.accessClaims(at); claims["cnf"] != nil {
		t.Fatalf("bearer token has cnf %v", claims["cnf"])
	}
	if intro := h.introspect(at); intro["cnf"] != nil || intro["token_type"] != "Bearer" {
		t.Fatalf("introspection of a bearer token: %v", intro)
	}
	k := dpoptest.NewKey(t, jose.ES256)
	resp, body := h.userinfo("DPoP "+at, k.Proof(t, "GET", h.issuer+"/oauth2/userinfo", dpoptest.Options{AccessToken: at}))
	wantDPoPChallenge(t, "bearer token as DPoP", resp, body, "invalid_token")
	if resp, body := h.userinfo("Bearer "+at, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("bearer token as Bearer: %d %v", resp.StatusCode, body)
	}
}

// TestDPoPRefreshBoundToKey: RFC 9449 §5.0, a public client's refresh token
// is bound to the key of the proof it was issued with. Must show: a refresh
// token bound to A cannot be used with B (nor with no proof); refused
// attempts do not rotate it, and A's proof still refreshes.
func TestDPoPRefreshBoundToKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keyA, keyB := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.RS256)
	rt := str(h.dpopTokens(spaClient, keyA), "refresh_token")
	if intro := h.introspect(rt); intro["cnf"] == nil {
		t.Fatalf("introspection of a public client's bound refresh token: %v, want cnf", intro)
	}
	tokenURL := h.issuer + "/oauth2/token"
	form := func() url.Values { return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}} }

	resp, body := h.dpopToken(spaClient, form(), keyB.Proof(t, "POST", tokenURL, dpoptest.Options{}))
	wantOAuthError(t, "refresh with key B", resp, body, http.StatusBadRequest, "invalid_grant")
	resp, body = h.dpopToken(spaClient, form(), "")
	wantOAuthError(t, "refresh without a proof", resp, body, http.StatusBadRequest, "invalid_dpop_proof")
	resp, body = h.dpopToken(spaClient, form(), keyA.Proof(t, "POST", h.issuer+"/oauth2/userinfo", dpoptest.Options{}))
	wantOAuthError(t, "refresh with a proof for another htu", resp, body, http.StatusBadRequest, "invalid_dpop_proof")

	resp, body = h.dpopToken(spaClient, form(), keyA.Proof(t, "POST", tokenURL, dpoptest.Options{}))
	if resp.StatusCode != http.StatusOK || str(body, "token_type") != "DPoP" {
		t.Fatalf("refresh with key A: %d %v", resp.StatusCode, body)
	}
	if _, claims := h.accessClaims(str(body, "access_token")); claims["cnf"].(map[string]any)["jkt"] != keyA.JKT(t) {
		t.Fatalf("refreshed access token cnf = %v", claims["cnf"])
	}
	// The successor is bound to A as well.
	rt = str(body, "refresh_token")
	resp, body = h.dpopToken(spaClient, form(), keyB.Proof(t, "POST", tokenURL, dpoptest.Options{}))
	wantOAuthError(t, "refresh of the successor with key B", resp, body, http.StatusBadRequest, "invalid_grant")
}

// TestDPoPConfidentialRefreshNotBound: §5.0, a confidential client's
// refresh token is not bound (client authentication constrains it); each
// access token is bound to the proof sent with its request, if any.
func TestDPoPConfidentialRefreshNotBound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keyA, keyB := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	rt := str(h.dpopTokens(appClient, keyA), "refresh_token")
	if intro := h.introspect(rt); intro["active"] != true || intro["cnf"] != nil {
		t.Fatalf("introspection of a confidential client's refresh token: %v, want active without cnf", intro)
	}
	resp, body := h.dpopToken(appClient, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		keyB.Proof(t, "POST", h.issuer+"/oauth2/token", dpoptest.Options{}))
	if resp.StatusCode != http.StatusOK || str(body, "token_type") != "DPoP" {
		t.Fatalf("confidential refresh with key B: %d %v", resp.StatusCode, body)
	}
	if _, claims := h.accessClaims(str(body, "access_token")); claims["cnf"].(map[string]any)["jkt"] != keyB.JKT(t) {
		t.Fatalf("cnf = %v, want key B", claims["cnf"])
	}
	resp, body = h.dpopToken(appClient, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(body, "refresh_token")}}, "")
	if resp.StatusCode != http.StatusOK || str(body, "token_type") != "Bearer" {
		t.Fatalf("confidential refresh without a proof: %d %v", resp.StatusCode, body)
	}
}

// TestDPoPInvalidProofAtTokenEndpoint: §5, a bad proof is invalid_dpop_proof
// and does not use up the code.
func TestDPoPInvalidProofAtTokenEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	k := dpoptest.NewKey(t, jose.ES256)
	form := h.spaCodeForm()
	tokenURL := h.issuer + "/oauth2/token"
	for name, proof := range map[string]string{
		"§4.3(4) typ JWT":  k.Proof(t, "POST", tokenURL, dpoptest.Options{Headers: map[string]any{"typ": "JWT"}}),
		"§4.3(8) htm GET":  k.Proof(t, "GET", tokenURL, dpoptest.Options{}),
		"§4.3(2) garbage":  "not-a-jwt",
		"§4.3(7) bad sig":  k.Proof(t, "POST", tokenURL, dpoptest.Options{JWK: dpoptest.NewKey(t, jose.ES256).Signer.Public()}),
		"§4.3(11) old iat": k.Proof(t, "POST", tokenURL, dpoptest.Options{IssuedAt: h.clock.Now().Add(-DefaultAccessTokenLifespan)}),
	} {
		resp, body := h.dpopToken(spaClient, form(), proof)
		wantOAuthError(t, name, resp, body, http.StatusBadRequest, "invalid_dpop_proof")
	}
	proof := k.Proof(t, "POST", tokenURL, dpoptest.Options{})
	if resp, body := h.dpopToken(spaClient, form(), proof); resp.StatusCode != http.StatusOK {
		t.Fatalf("code exchange after refused proofs: %d %v", resp.StatusCode, body)
	}
}

// TestDPoPBoundAccessTokensRequired: RFC 9449 §5.2, a client registered
// with dpop_bound_access_tokens gets no token without a proof.
func TestDPoPBoundAccessTokensRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.must("UpdateClient", h.store.UpdateClient(t.Context(), spaClient.id, func(c storage.Client) (storage.Client, error) {
		c.DPoPBoundAccessTokens = true
		return c, nil
	}))
	h.s.ClientChanged(spaClient.id)
	form := h.spaCodeForm()()
	resp, body := h.dpopToken(spaClient, form, "")
	wantOAuthError(t, "no proof", resp, body, http.StatusBadRequest, "invalid_dpop_proof")
	// The refusal came before the code was read: it still works.
	resp, body = h.dpopToken(spaClient, form, dpoptest.NewKey(t, jose.ES256).Proof(t, "POST", h.issuer+"/oauth2/token", dpoptest.Options{}))
	if resp.StatusCode != http.StatusOK || str(body, "token_type") != "DPoP" {
		t.Fatalf("with a proof: %d %v", resp.StatusCode, body)
	}
}

// TestDPoPNonces: RFC 9449 §8 (token endpoint) and §9 (userinfo). With
// nonces on, a proof without the server's nonce is use_dpop_nonce with a
// DPoP-Nonce header, and the retry with that nonce succeeds.
func TestDPoPNonces(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.DPoPNonces = true })
	k := dpoptest.NewKey(t, jose.ES256)
	form := h.spaCodeForm()
	tokenURL := h.issuer + "/oauth2/token"
	resp, body := h.dpopToken(spaClient, form(), k.Proof(t, "POST", tokenURL, dpoptest.Options{}))
	wantOAuthError(t, "§8 no nonce", resp, body, http.StatusBadRequest, "use_dpop_nonce")
	nonce := resp.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	resp, body = h.dpopToken(spaClient, form(), k.Proof(t, "POST", tokenURL, dpoptest.Options{Nonce: "made-up"}))
	wantOAuthError(t, "§8 a nonce the server never issued", resp, body, http.StatusBadRequest, "use_dpop_nonce")
	resp, body = h.dpopToken(spaClient, form(), k.Proof(t, "POST", tokenURL, dpoptest.Options{Nonce: nonce}))
	if resp.StatusCode != http.StatusOK || str(body, "token_type") != "DPoP" || resp.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("with the nonce: %d %v", resp.StatusCode, body)
	}
	at := str(body, "access_token")
	ui := h.issuer + "/oauth2/userinfo"
	r, b := h.userinfo("DPoP "+at, k.Proof(t, "GET", ui, dpoptest.Options{AccessToken: at}))
	wantDPoPChallenge(t, "§9 userinfo without a nonce", r, b, "use_dpop_nonce")
	if r.Header.Get("DPoP-Nonce") == "" {
		t.Fatal("userinfo's use_dpop_nonce without a DPoP-Nonce header")
	}
	if r, b := h.userinfo("DPoP "+at, k.Proof(t, "GET", ui, dpoptest.Options{AccessToken: at, Nonce: r.Header.Get("DPoP-Nonce")})); r.StatusCode != http.StatusOK {
		t.Fatalf("userinfo with the nonce: %d %v", r.StatusCode, b)
	}
}
