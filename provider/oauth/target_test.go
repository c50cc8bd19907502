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

func (h *harness) accessAud(token string) []string {
	h.t.Helper()
	_, claims := h.accessClaims(token)
	var out []string
	switch v := claims["aud"].(type) {
	case string:
		out = []string{v}
	case []any:
		for _, a := range v {
			s, _ := a.(string)
			out = append(out, s)
		}
	}
	return out
}

// TestDefaultAudience: a client with no registered audience gets the
// provider's default audience (the issuer) on every grant, and a refresh
// keeps it (RFC 9068 §2.2 makes aud required).
func TestDefaultAudience(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	tokens := h.tokensFor(a, spaClient)
	if aud := h.accessAud(tokens["access_token"].(string)); !slices.Equal(aud, []string{h.issuer}) {
		t.Fatalf("code grant aud %v, want [%s]", aud, h.issuer)
	}
	resp, body := h.refresh(spaClient, tokens["refresh_token"].(string))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, body)
	}
	if aud := h.accessAud(body["access_token"].(string)); !slices.Equal(aud, []string{h.issuer}) {
		t.Fatalf("refreshed aud %v", aud)
	}
	// A registered audience replaces the default.
	tokens = h.tokensFor(a, appClient)
	if aud := h.accessAud(tokens["access_token"].(string)); !slices.Equal(aud, []string{apiAudience}) {
		t.Fatalf("registered audience: aud %v", aud)
	}
}

// TestResourceIndicators: RFC 8707 resource (and audience) at the
// authorization and token endpoints; a target the client may not ask for
// is invalid_target (§2), on the redirect or as a JSON 400.
func TestResourceIndicators(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	now := time.Now()
	const a1, a2 = "https://one.example", "https://two.example"
	multi := testClient{"multi", "multi-secret-0123456789abcdefghijklmnopqrs", "https://multi.example/cb", false}
	h.must("CreateClient", h.store.CreateClient(ctx, storage.Client{
		ID: multi.id, SecretHash: randtoken.Hash(multi.secret), Name: "Multi", FirstParty: true,
		RedirectURIs: []string{multi.redirect}, GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid", "offline_access"}, Audiences: []string{a1, a2}, TokenEndpointAuthMethod: "client_secret_basic",
		CreatedAt: now, UpdatedAt: now,
	}))
	a := h.agent()
	a.signIn("u1", "")
	scope := url.Values{"scope": {"openid offline_access"}}

	t.Run("authorization endpoint refuses another resource", func(t *testing.T) {
		for _, extra := range []url.Values{
			{"resource": {"https://other.example"}},
			{"audience": {"https://other.example"}},
			{"resource": {"not-absolute"}},
			{"resource": {a1 + "#frag"}},
		} {
			resp := a.get(h.authURL(multi, challenge, mergeValues(scope, extra)))
			loc, err := resp.Location()
			if err != nil || !slicesHasPrefix(loc.String(), multi.redirect) || loc.Query().Get("error") != "invalid_target" || loc.Query().Get("state") == "" {
				t.Errorf("%v: status %d Location %v, want invalid_target at the client", extra, resp.StatusCode, loc)
			}
		}
	})
	exchange := func(extra url.Values) (*http.Response, map[string]any) {
		code, verifier := h.codeFor(a, multi, mergeValues(scope, extra), noPages)
		return h.token(multi, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {multi.redirect}, "code_verifier": {verifier}})
	}
	t.Run("resource at authorization sets aud", func(t *testing.T) {
		resp, body := exchange(url.Values{"resource": {a2}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("exchange: %d %v", resp.StatusCode, body)
		}
		if aud := h.accessAud(body["access_token"].(string)); !slices.Equal(aud, []string{a2}) {
			t.Fatalf("aud %v, want [%s]", aud, a2)
		}
		resp, body = h.token(multi, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}})
		if resp.StatusCode != http.StatusOK || !slices.Equal(h.accessAud(body["access_token"].(string)), []string{a2}) {
			t.Fatalf("refresh keeps the audience: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("token endpoint narrows within the grant (§2.2)", func(t *testing.T) {
		code, verifier := h.codeFor(a, multi, scope, noPages)
		resp, body := h.token(multi, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {multi.redirect}, "code_verifier": {verifier}, "resource": {a1}})
		if resp.StatusCode != http.StatusOK || !slices.Equal(h.accessAud(body["access_token"].(string)), []string{a1}) {
			t.Fatalf("narrowed exchange: %d %v", resp.StatusCode, body)
		}
		resp, body = exchange(url.Values{"resource": {a2}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("exchange: %d %v", resp.StatusCode, body)
		}
		resp, body = h.token(multi, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}, "resource": {a1}})
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_target" {
			t.Fatalf("refresh for a resource outside the grant: %d %v", resp.StatusCode, body)
		}
		code, verifier = h.codeFor(a, multi, mergeValues(scope, url.Values{"resource": {a2}}), noPages)
		resp, body = h.token(multi, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {multi.redirect}, "code_verifier": {verifier}, "resource": {a1}})
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_target" {
			t.Fatalf("code exchange for a resource outside the grant: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("client credentials", func(t *testing.T) {
		for _, form := range []url.Values{
			{"resource": {"https://other.example"}},
			{"audience": {"https://other.example"}},
			{"resource": {"relative"}},
		} {
			form.Set("grant_type", "client_credentials")
			resp, body := h.token(svcClient, form)
			if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_target" || resp.Header.Get("Content-Type") == "" {
				t.Errorf("%v: %d %v, want a JSON 400 invalid_target", form, resp.StatusCode, body)
			}
		}
		resp, body := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "resource": {apiAudience}})
		if resp.StatusCode != http.StatusOK || !slices.Equal(h.accessAud(body["access_token"].(string)), []string{apiAudience}) {
			t.Fatalf("allowed resource: %d %v", resp.StatusCode, body)
		}
	})
}

func slicesHasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}
