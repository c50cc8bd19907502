package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// TestAPIResources: a registered API (storage.API) granted to a client is
// asked for with RFC 8707 resource or audience; the token's aud is the
// API's identifier and its lifespan the API's; an API registered but not
// granted is invalid_target (§2); with no resource the client's default API
// applies; a refresh keeps the resource (§2.2).
func TestAPIResources(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	now := time.Now()
	const orders, billing = "https://api.example/orders", "urn:example:billing"
	h.must("CreateAPI", h.store.CreateAPI(ctx, storage.API{Identifier: orders, Name: "Orders", AccessTokenLifespan: 5 * time.Minute, CreatedAt: now, UpdatedAt: now}))
	h.must("CreateAPI", h.store.CreateAPI(ctx, storage.API{Identifier: billing, Name: "Billing", CreatedAt: now, UpdatedAt: now}))
	rs := testClient{"rs-client", "rs-secret-0123456789abcdefghijklmnopqrstuv", "https://rs.example/cb", false}
	h.must("CreateClient", h.store.CreateClient(ctx, storage.Client{
		ID: rs.id, SecretHash: randtoken.Hash(rs.secret), Name: "RS", FirstParty: true,
		RedirectURIs: []string{rs.redirect}, GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid", "offline_access"}, TokenEndpointAuthMethod: "client_secret_basic",
		APIs: []string{orders}, DefaultAPI: orders, CreatedAt: now, UpdatedAt: now,
	}))
	a := h.agent()
	a.signIn("u1", "")
	scope := url.Values{"scope": {"openid offline_access"}}
	exchange := func(extra url.Values) (*http.Response, map[string]any) {
		code, verifier := h.codeFor(a, rs, mergeValues(scope, extra), noPages)
		return h.token(rs, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {rs.redirect}, "code_verifier": {verifier}})
	}
	lifespan := func(body map[string]any) time.Duration {
		_, c := h.accessClaims(body["access_token"].(string))
		return time.Duration(c["exp"].(float64)-c["iat"].(float64)) * time.Second
	}
	// fiveMinutes allows the second the clock may tick between iat and exp.
	fiveMinutes := func(d time.Duration) bool { return d >= 5*time.Minute-time.Second && d <= 5*time.Minute+time.Second }

	for _, param := range []string{"resource", "audience"} {
		resp, body := exchange(url.Values{param: {orders}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s=orders: %d %v", param, resp.StatusCode, body)
		}
		if aud := h.accessAud(body["access_token"].(string)); !slices.Equal(aud, []string{orders}) {
			t.Fatalf("%s=orders: aud %v", param, aud)
		}
		if d := lifespan(body); !fiveMinutes(d) || body["expires_in"].(float64) > 300 {
			t.Fatalf("%s=orders: lifespan %v expires_in %v, want the API's 5m", param, d, body["expires_in"])
		}
		resp, body = h.token(rs, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}})
		if resp.StatusCode != http.StatusOK || !slices.Equal(h.accessAud(body["access_token"].(string)), []string{orders}) || !fiveMinutes(lifespan(body)) {
			t.Fatalf("refresh keeps the resource (RFC 8707 §2.2): %d %v", resp.StatusCode, body)
		}
	}
	t.Run("default API", func(t *testing.T) {
		resp, body := exchange(nil)
		if resp.StatusCode != http.StatusOK || !slices.Equal(h.accessAud(body["access_token"].(string)), []string{orders}) {
			t.Fatalf("no resource: %d %v, want the default API", resp.StatusCode, body)
		}
	})
	t.Run("API not granted is invalid_target", func(t *testing.T) {
		for _, extra := range []url.Values{{"resource": {billing}}, {"audience": {billing}}, {"resource": {"https://unknown.example"}}} {
			resp := a.get(h.authURL(rs, challenge, mergeValues(scope, extra)))
			loc, err := resp.Location()
			if err != nil || loc.Query().Get("error") != "invalid_target" {
				t.Errorf("%v: %d %v, want invalid_target", extra, resp.StatusCode, loc)
			}
			form := mergeValues(url.Values{"grant_type": {"client_credentials"}}, extra)
			if resp, body := h.token(rs, form); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_target" {
				t.Errorf("client_credentials %v: %d %v", extra, resp.StatusCode, body)
			}
		}
		// Another client, not granted the API, may not ask for it.
		if resp, body := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "resource": {orders}}); body["error"] != "invalid_target" {
			t.Errorf("ungranted client: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("client credentials", func(t *testing.T) {
		resp, body := h.token(rs, url.Values{"grant_type": {"client_credentials"}, "resource": {orders}})
		if resp.StatusCode != http.StatusOK || !slices.Equal(h.accessAud(body["access_token"].(string)), []string{orders}) || !fiveMinutes(lifespan(body)) {
			t.Fatalf("client_credentials resource=orders: %d %v", resp.StatusCode, body)
		}
	})
}

// TestNoEmptyAudience: every grant, for every kind of client (default
// audience, registered audience, default API), issues an access token
// whose aud names at least one non-empty value (RFC 9068 §2.2).
func TestNoEmptyAudience(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	check := func(what, token string) {
		aud := h.accessAud(token)
		if len(aud) == 0 || slices.Contains(aud, "") {
			t.Errorf("%s: aud %v", what, aud)
		}
	}
	for _, c := range []testClient{spaClient, appClient} {
		tokens := h.tokensFor(a, c)
		check(c.id+" authorization_code", tokens["access_token"].(string))
		if rt, ok := tokens["refresh_token"].(string); ok {
			_, body := h.refresh(c, rt)
			check(c.id+" refresh_token", body["access_token"].(string))
		}
	}
	_, body := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}})
	check("client_credentials", body["access_token"].(string))
}
