package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestIntrospectionAuthentication: RFC 7662 §2.1 requires the caller to be
// authorized; a bearer token or a bare client_id is not authentication.
func TestIntrospectionAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	at := str(h.tokensFor(a, appClient), "access_token")
	form := url.Values{"token": {at}}
	for _, tc := range []struct {
		name       string
		user, pass string
		header     []string
		form       url.Values
	}{
		{"no authentication", "", "", nil, nil},
		{"a bearer token instead of client authentication", "", "", []string{"Authorization", "Bearer " + at}, nil},
		{"a public client's id", "", "", nil, url.Values{"client_id": {spaClient.id}}},
		{"wrong secret", svcClient.id, "wrong", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"token": {at}}
			for k, v := range tc.form {
				f[k] = v
			}
			resp, body := h.postForm("/oauth2/introspect", f, tc.user, tc.pass, tc.header...)
			wantOAuthError(t, tc.name, resp, body, http.StatusUnauthorized, "invalid_client")
			if body["active"] != nil {
				t.Errorf("token state leaked: %v", body)
			}
		})
	}
	resp, body := h.postForm("/oauth2/introspect", form, thirdClient.id, thirdClient.secret)
	wantOAuthError(t, "basic auth for a client_secret_post client", resp, body, http.StatusUnauthorized, "invalid_client")
	resp, body = h.postForm("/oauth2/introspect", url.Values{"token": {at}, "client_id": {thirdClient.id}, "client_secret": {thirdClient.secret}}, "", "")
	if resp.StatusCode != http.StatusOK || body["active"] != true {
		t.Errorf("client_secret_post: %d %v", resp.StatusCode, body)
	}
}

// TestIntrospectionStates: revoked, expired and unknown tokens are
// inactive (RFC 7662 §2.2); refresh tokens can be introspected too.
func TestIntrospectionStates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	tokens := h.tokensFor(a, appClient)
	at, rt := str(tokens, "access_token"), str(tokens, "refresh_token")

	in := h.introspect(rt)
	if in["active"] != true || in["token_use"] != "refresh_token" || in["sub"] != "u1" || in["exp"] == nil {
		t.Errorf("refresh token introspection %v", in)
	}
	for _, tok := range []string{"", "garbage", "a.b.c", "ory_at_x.y", strings.Repeat("x", 5000)} {
		resp, body := h.postForm("/oauth2/introspect", url.Values{"token": {tok}}, svcClient.id, svcClient.secret)
		if tok == "" {
			wantOAuthError(t, "missing token", resp, body, http.StatusBadRequest, "invalid_request")
			continue
		}
		if resp.StatusCode != http.StatusOK || body["active"] != false || len(body) != 1 {
			t.Errorf("unknown token %.10q: %d %v", tok, resp.StatusCode, body)
		}
	}

	h.clock.advance(DefaultAccessTokenLifespan + time.Second)
	if in := h.introspect(at); in["active"] != false {
		t.Errorf("expired access token: %v", in)
	}
	h.clock.advance(-DefaultAccessTokenLifespan - time.Second)

	resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {at}, "token_type_hint": {"access_token"}}, appClient.id, appClient.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if in := h.introspect(at); in["active"] != false {
		t.Errorf("revoked access token: %v", in)
	}
	if in := h.introspect(rt); in["active"] != false {
		t.Errorf("refresh token of a revoked grant: %v", in)
	}
}

// TestRevocation covers RFC 7009.
func TestRevocation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")

	t.Run("revoking a refresh token ends its family (RFC 7009 §2.1)", func(t *testing.T) {
		tokens := h.tokensFor(a, appClient)
		_, next := h.refresh(appClient, str(tokens, "refresh_token"))
		resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {str(next, "refresh_token")}, "token_type_hint": {"refresh_token"}}, appClient.id, appClient.secret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if in := h.introspect(str(next, "access_token")); in["active"] != false {
			t.Error("access token of the revoked family still active")
		}
		resp, body := h.refresh(appClient, str(next, "refresh_token"))
		wantOAuthError(t, "revoked refresh token", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("a public client revokes its own token", func(t *testing.T) {
		code, verifier := h.codeFor(a, spaClient, nil, noPages)
		_, tokens := h.token(spaClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}})
		resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {str(tokens, "refresh_token")}, "client_id": {spaClient.id}}, "", "")
		if resp.StatusCode != http.StatusOK || h.introspect(str(tokens, "access_token"))["active"] != false {
			t.Errorf("public revoke: %d", resp.StatusCode)
		}
	})
	t.Run("another client's token is refused and stays active", func(t *testing.T) {
		at := str(h.tokensFor(a, appClient), "access_token")
		resp, body := h.postForm("/oauth2/revoke", url.Values{"token": {at}, "client_id": {thirdClient.id}, "client_secret": {thirdClient.secret}}, "", "")
		wantOAuthError(t, "foreign token", resp, body, http.StatusBadRequest, "unauthorized_client")
		if h.introspect(at)["active"] != true {
			t.Error("another client revoked the token")
		}
	})
	t.Run("unknown token is 200 (RFC 7009 §2.2)", func(t *testing.T) {
		resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {"nope"}}, appClient.id, appClient.secret)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	t.Run("errors", func(t *testing.T) {
		resp, body := h.postForm("/oauth2/revoke", url.Values{"token_type_hint": {"access_token"}}, appClient.id, appClient.secret)
		wantOAuthError(t, "missing token", resp, body, http.StatusBadRequest, "invalid_request")
		resp, body = h.postForm("/oauth2/revoke", url.Values{"token": {"x"}}, appClient.id, "wrong")
		wantOAuthError(t, "wrong secret", resp, body, http.StatusUnauthorized, "invalid_client")
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Error("no WWW-Authenticate for a failed Basic authentication")
		}
	})
}

// TestUserinfoErrors: RFC 6750 §3 challenges.
func TestUserinfoErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	tokens := h.tokensFor(a, appClient)
	_, cc := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
	get := func(auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, h.issuer+"/oauth2/userinfo", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		h.must("GET userinfo", err)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		name   string
		auth   string
		status int
		want   string
	}{
		{"no token: a challenge without error (§3.1)", "", http.StatusUnauthorized, `Bearer realm="` + h.issuer + `"`},
		{"bad token", "Bearer nope", http.StatusUnauthorized, `error="invalid_token"`},
		{"a refresh token", "Bearer " + str(tokens, "refresh_token"), http.StatusUnauthorized, `error="invalid_token"`},
		{"an ID token", "Bearer " + str(tokens, "id_token"), http.StatusUnauthorized, `error="invalid_token"`},
		{"no openid scope", "Bearer " + str(cc, "access_token"), http.StatusForbidden, `error="insufficient_scope"`},
		{"not a Bearer header", "Basic eDp5", http.StatusBadRequest, `error="invalid_request"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(tc.auth)
			if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tc.want) {
				t.Errorf("%d %q, want %d with %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tc.status, tc.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oauth2/userinfo", strings.NewReader(url.Values{"access_token": {str(tokens, "access_token")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+str(tokens, "access_token"))
	resp, err := http.DefaultClient.Do(req)
	h.must("POST userinfo", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("token sent twice (RFC 6750 §2): %d", resp.StatusCode)
	}
	if resp := get("Bearer " + str(tokens, "access_token")); resp.StatusCode != http.StatusOK {
		t.Fatalf("valid token: %d", resp.StatusCode)
	}
	resp, _ = h.postForm("/oauth2/revoke", url.Values{"token": {str(tokens, "access_token")}}, appClient.id, appClient.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatal("revoke failed")
	}
	if resp := get("Bearer " + str(tokens, "access_token")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", resp.StatusCode)
	}
}

// TestCORS: browser apps may call the token, revocation and userinfo
// endpoints from their registered origins only.
func TestCORS(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	preflight := func(path, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, h.issuer+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		h.must("OPTIONS", err)
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/oauth2/token", "/oauth2/revoke", "/oauth2/userinfo"} {
		if resp := preflight(path, spaOrigin); resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("%s preflight from a registered origin: %d %v", path, resp.StatusCode, resp.Header)
		}
		for _, o := range []string{"https://evil.example", "https://spa.example.evil.example", "http://spa.example", "null"} {
			if resp := preflight(path, o); resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s preflight from %s allowed", path, o)
			}
		}
	}
	a := h.agent()
	a.signIn("u1", "")
	code, verifier := h.codeFor(a, spaClient, nil, noPages)
	resp, _ := h.postForm("/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {spaClient.id},
		"redirect_uri": {spaRedirect}, "code_verifier": {verifier}}, "", "", "Origin", spaOrigin)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin {
		t.Errorf("SPA token request: %d ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	// The origin is the SPA's, not the app's: no CORS for the app's request.
	resp, _ = h.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, appClient.id, appClient.secret, "Origin", spaOrigin)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS allowed for a client that did not register the origin")
	}
}
