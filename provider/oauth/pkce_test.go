package oauth

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

var noPKCE = url.Values{"code_challenge": {""}, "code_challenge_method": {""}}

// TestPKCEOptionalClient: PKCE is required for every client by default
// (RFC 9700 §2.1.1); a confidential client registered with PKCEOptional may
// send no code_challenge, one that sends a challenge is held to it, and a
// public client always needs S256.
func TestPKCEOptionalClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	now := time.Now()
	legacy := testClient{"legacy", "legacy-secret-0123456789abcdefghijklmnopq", "https://legacy.example/cb", false}
	for _, c := range []storage.Client{{
		ID: legacy.id, SecretHash: randtoken.Hash(legacy.secret), Name: "Legacy", FirstParty: true, PKCEOptional: true,
		RedirectURIs: []string{legacy.redirect}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid"}, TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now,
	}, {
		// Validate refuses this; the protocol must hold even so.
		ID: "public-lax", Name: "Public", Public: true, FirstParty: true, PKCEOptional: true,
		RedirectURIs: []string{"https://public.example/cb"}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid"}, TokenEndpointAuthMethod: "none", CreatedAt: now, UpdatedAt: now,
	}} {
		h.must("CreateClient", h.store.CreateClient(ctx, c))
	}
	a := h.agent()
	a.signIn("u1", "")
	openid := url.Values{"scope": {"openid"}}
	exchange := func(c testClient, code, verifier string) (*http.Response, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.redirect}}
		if verifier != "" {
			form.Set("code_verifier", verifier)
		}
		return h.token(c, form)
	}
	authError := func(t *testing.T, c testClient, extra url.Values) string {
		t.Helper()
		q := url.Values{"scope": {"openid"}}
		for k, v := range extra {
			q[k] = v
		}
		resp := a.get(h.authURL(c, challenge, q))
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("status %d, no redirect", resp.StatusCode)
		}
		return loc.Query().Get("error")
	}

	t.Run("default confidential client without challenge is refused", func(t *testing.T) {
		if e := authError(t, appClient, noPKCE); e != "invalid_request" {
			t.Fatalf("error %q, want invalid_request", e)
		}
	})
	t.Run("public client is never let off", func(t *testing.T) {
		pub := testClient{id: "public-lax", redirect: "https://public.example/cb"}
		if e := authError(t, pub, noPKCE); e != "invalid_request" {
			t.Fatalf("error %q, want invalid_request", e)
		}
		if e := authError(t, pub, url.Values{"code_challenge_method": {"plain"}}); e != "invalid_request" {
			t.Fatalf("plain: error %q, want invalid_request", e)
		}
	})
	t.Run("switch: no challenge, no verifier", func(t *testing.T) {
		code, _ := h.codeFor(a, legacy, mergeValues(openid, noPKCE), noPages)
		resp, body := exchange(legacy, code, "")
		if resp.StatusCode != http.StatusOK || body["id_token"] == nil {
			t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("switch: a verifier for a code without challenge is refused", func(t *testing.T) {
		code, _ := h.codeFor(a, legacy, mergeValues(openid, noPKCE), noPages)
		resp, body := exchange(legacy, code, randtoken.New()+"x")
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("switch: a challenge sent is held to", func(t *testing.T) {
		code, _ := h.codeFor(a, legacy, openid, noPages)
		if resp, body := exchange(legacy, code, ""); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("no verifier: %d %v", resp.StatusCode, body)
		}
		code, _ = h.codeFor(a, legacy, openid, noPages)
		if resp, body := exchange(legacy, code, randtoken.New()+"x"); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("wrong verifier: %d %v", resp.StatusCode, body)
		}
		code, verifier := h.codeFor(a, legacy, openid, noPages)
		if resp, body := exchange(legacy, code, verifier); resp.StatusCode != http.StatusOK {
			t.Fatalf("right verifier: %d %v", resp.StatusCode, body)
		}
		if e := authError(t, legacy, url.Values{"code_challenge_method": {"plain"}}); e != "invalid_request" {
			t.Fatalf("plain: error %q, want invalid_request", e)
		}
	})
	t.Run("switch turned off: a code issued without challenge no longer redeems", func(t *testing.T) {
		code, _ := h.codeFor(a, legacy, mergeValues(openid, noPKCE), noPages)
		h.must("UpdateClient", h.store.UpdateClient(ctx, legacy.id, func(c storage.Client) (storage.Client, error) {
			c.PKCEOptional = false
			return c, nil
		}))
		h.s.ClientChanged(legacy.id)
		if resp, body := exchange(legacy, code, ""); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_request" {
			t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
		}
	})
}

func mergeValues(vs ...url.Values) url.Values {
	out := url.Values{}
	for _, v := range vs {
		for k, x := range v {
			out[k] = x
		}
	}
	return out
}
