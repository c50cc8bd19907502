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

// TestLoopbackRedirectAnyPort: a native app registered with a loopback
// redirect URI may use any port chosen at run time (RFC 8252 §7.3), for
// 127.0.0.1, [::1] and localhost alike; the code is bound to the URI used,
// so the token request must repeat it (RFC 6749 §4.1.3).
func TestLoopbackRedirectAnyPort(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := time.Now()
	for _, reg := range []string{"http://127.0.0.1/callback", "http://[::1]/callback", "http://localhost/callback"} {
		id := "native-" + randtoken.ID()
		h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{
			ID: id, Name: "CLI", Public: true, FirstParty: true, RedirectURIs: []string{reg},
			GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
			Scopes: []string{"openid"}, TokenEndpointAuthMethod: "none", CreatedAt: now, UpdatedAt: now,
		}))
		u, _ := url.Parse(reg)
		u.Host = u.Host + ":49321"
		used := u.String()
		t.Run(reg, func(t *testing.T) {
			a := h.agent()
			a.signIn("u1", "")
			c := testClient{id: id, redirect: used}
			code, verifier := h.codeFor(a, c, url.Values{"scope": {"openid"}}, noPages)
			resp, body := h.token(c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {reg}, "code_verifier": {verifier}})
			if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("token request naming the registered URI, not the one used: %d %v", resp.StatusCode, body)
			}
			code, verifier = h.codeFor(a, c, url.Values{"scope": {"openid"}}, noPages)
			resp, body = h.token(c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {used}, "code_verifier": {verifier}})
			if resp.StatusCode != http.StatusOK || body["access_token"] == nil {
				t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
			}
		})
	}
}

// TestLoopbackRedirectErrorsGoToTheUsedPort: once the loopback URI is
// valid, errors are redirected to it, port included.
func TestLoopbackRedirectErrorsGoToTheUsedPort(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	used := "http://127.0.0.1:40001/cb"
	resp := h.agent().get(h.authURL(appClient, challenge, url.Values{"redirect_uri": {used}, "scope": {"openid nope"}}))
	loc, err := resp.Location()
	if err != nil || loc.Host != "127.0.0.1:40001" || loc.Query().Get("error") != "invalid_scope" {
		t.Fatalf("status %d Location %v, want invalid_scope at %s", resp.StatusCode, loc, used)
	}
}
