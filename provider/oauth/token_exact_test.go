package oauth

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestTokenTypeBearer: every grant answers token_type "Bearer", spelled so.
// RFC 6749 §7.1 makes the type case-insensitive, but clients compare the
// string (x/oauth2 normalizes it, so this reads the plain JSON).
func TestTokenTypeBearer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	a := h.agent()
	a.signIn("u1", "")
	code := h.tokensFor(a, appClient)
	_, refreshed := h.refresh(appClient, str(code, "refresh_token"))
	_, cc := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
	token, _ := h.newPAT("u1", []string{"openid"}, h.clock.Now().Add(time.Hour))
	_, exchanged := h.token(cliClient, exchangeForm(token))
	for grant, body := range map[string]map[string]any{
		"authorization_code": code, "refresh_token": refreshed, "client_credentials": cc, GrantTypeTokenExchange: exchanged,
	} {
		if got := body["token_type"]; got != "Bearer" {
			t.Errorf("%s: token_type %q, want \"Bearer\" (%v)", grant, got, body)
		}
	}
}

// TestTokenRequestMissingParameter: a token request without a parameter
// its grant requires is invalid_request (RFC 6749 §5.2: "missing a
// required parameter"), not invalid_grant, which says the grant itself
// is bad. The grant is not consumed: the complete request still works.
func TestTokenRequestMissingParameter(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	code, verifier := h.codeFor(a, appClient, nil, noPages)
	full := func() url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}
	}
	for _, tc := range []struct{ name, drop string }{
		{"§4.1.3 code", "code"},
		{"§4.1.3 redirect_uri, sent with the authorization request", "redirect_uri"},
	} {
		form := full()
		form.Del(tc.drop)
		resp, body := h.token(appClient, form)
		wantOAuthError(t, tc.name, resp, body, http.StatusBadRequest, "invalid_request")
	}
	resp, tokens := h.token(appClient, full())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("complete code exchange after the refused ones: %d %v", resp.StatusCode, tokens)
	}
	resp, body := h.token(appClient, url.Values{"grant_type": {"refresh_token"}})
	wantOAuthError(t, "§6 refresh_token", resp, body, http.StatusBadRequest, "invalid_request")
	if resp, body := h.refresh(appClient, str(tokens, "refresh_token")); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after the refused one: %d %v", resp.StatusCode, body)
	}

	// A code whose authorization request named no redirect_uri needs none
	// at the token endpoint (§4.1.3: required only if it was included).
	code, verifier = h.codeFor(a, appClient, url.Values{"redirect_uri": {""}, "scope": {"offline_access"}}, noPages)
	resp, body = h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("code exchange without redirect_uri for a request without one: %d %v", resp.StatusCode, body)
	}
	// An unknown code is still invalid_grant, with or without redirect_uri.
	for _, form := range []url.Values{
		{"grant_type": {"authorization_code"}, "code": {"ory_ac_unknown.unknown"}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}},
		{"grant_type": {"authorization_code"}, "code": {"ory_ac_unknown.unknown"}, "code_verifier": {verifier}},
	} {
		resp, body := h.token(appClient, form)
		wantOAuthError(t, "unknown code", resp, body, http.StatusBadRequest, "invalid_grant")
	}
}
