package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRefreshRotationAndReuse: every refresh rotates the refresh token; a
// rotated one presented again is reuse, which ends the whole family —
// refresh and access tokens of the grant (RFC 9700 §4.14.2, RFC 6819
// §5.2.2.3).
func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	first := h.tokensFor(a, appClient)
	rt1 := str(first, "refresh_token")

	resp, second := h.refresh(appClient, rt1)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, second)
	}
	rt2 := str(second, "refresh_token")
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("refresh token not rotated: %q", rt2)
	}
	if h.introspect(str(first, "access_token"))["active"] != false {
		t.Error("the access token issued with a rotated refresh token must end with it")
	}
	if h.introspect(str(second, "access_token"))["active"] != true {
		t.Fatal("new access token inactive")
	}

	resp, body := h.refresh(appClient, rt1)
	wantOAuthError(t, "reuse of a rotated refresh token", resp, body, http.StatusBadRequest, "invalid_grant")
	if h.introspect(str(second, "access_token"))["active"] != false {
		t.Error("reuse must revoke the family's access tokens")
	}
	resp, body = h.refresh(appClient, rt2)
	wantOAuthError(t, "the newest refresh token after reuse", resp, body, http.StatusBadRequest, "invalid_grant")
	// The rows are kept, so the reused token is still recognized.
	resp, body = h.refresh(appClient, rt1)
	wantOAuthError(t, "second reuse", resp, body, http.StatusBadRequest, "invalid_grant")
}

// TestConcurrentRefresh: of 20 simultaneous refreshes with one token
// exactly one wins; the rest get invalid_grant, never a 5xx
// (ory/hydra#3604).
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	rt := str(h.tokensFor(a, appClient), "refresh_token")
	statuses := race(t, 20, func() (*http.Response, map[string]any) { return h.refresh(appClient, rt) })
	if statuses[http.StatusOK] != 1 || statuses["invalid_grant"] != 19 {
		t.Fatalf("outcomes %v, want one 200 and 19 invalid_grant", statuses)
	}
}

// TestConcurrentCodeRedemption: of 20 simultaneous redemptions of one code
// exactly one gets tokens (RFC 6749 §4.1.2: a code is used once;
// ory/fosite#778).
func TestConcurrentCodeRedemption(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	code, verifier := h.codeFor(a, appClient, nil, noPages)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}
	statuses := race(t, 20, func() (*http.Response, map[string]any) {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		return h.token(appClient, f)
	})
	if statuses[http.StatusOK] != 1 || statuses["invalid_grant"] != 19 {
		t.Fatalf("outcomes %v, want one 200 and 19 invalid_grant", statuses)
	}
}

// race runs fn n times at once and counts 200s and error codes.
func race(t *testing.T, n int, fn func() (*http.Response, map[string]any)) map[any]int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := map[any]int{}
	for range n {
		wg.Go(func() {
			<-start
			resp, body := fn()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case resp.StatusCode == http.StatusOK:
				out[http.StatusOK]++
			case resp.StatusCode >= 500:
				out["5xx"]++
				t.Errorf("server error: %d %v", resp.StatusCode, body)
			default:
				out[str(body, "error")]++
			}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// TestCodeReplayRevokes: a code used twice is refused and what it issued
// is revoked (RFC 6749 §4.1.2, RFC 9700 §4.5).
func TestCodeReplayRevokes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	code, verifier := h.codeFor(a, appClient, nil, noPages)
	form := func() url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}
	}
	resp, tokens := h.token(appClient, form())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, tokens)
	}
	resp, body := h.token(appClient, form())
	wantOAuthError(t, "replayed code", resp, body, http.StatusBadRequest, "invalid_grant")
	if h.introspect(str(tokens, "access_token"))["active"] != false {
		t.Error("access token still active after code replay")
	}
	resp, body = h.refresh(appClient, str(tokens, "refresh_token"))
	wantOAuthError(t, "refresh token after code replay", resp, body, http.StatusBadRequest, "invalid_grant")
}

// TestTokenEndpointRejects covers the token endpoint's negative cases.
func TestTokenEndpointRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")

	t.Run("wrong secret is 401 with a Basic challenge (RFC 6749 §5.2)", func(t *testing.T) {
		resp, body := h.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, svcClient.id, "wrong")
		wantOAuthError(t, "wrong secret", resp, body, http.StatusUnauthorized, "invalid_client")
		if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("secret in the body for a client_secret_basic client", func(t *testing.T) {
		resp, body := h.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {svcClient.id}, "client_secret": {svcClient.secret}}, "", "")
		wantOAuthError(t, "secret in body", resp, body, http.StatusUnauthorized, "invalid_client")
	})
	for _, g := range []string{"password", "implicit"} {
		t.Run("unsupported grant "+g+" (RFC 9700 §2.4)", func(t *testing.T) {
			resp, body := h.token(appClient, url.Values{"grant_type": {g}, "username": {"alice"}, "password": {"x"}})
			wantOAuthError(t, g, resp, body, http.StatusBadRequest, "unsupported_grant_type")
		})
	}
	t.Run("missing grant_type", func(t *testing.T) {
		resp, body := h.token(appClient, url.Values{"code": {"x"}})
		wantOAuthError(t, "no grant_type", resp, body, http.StatusBadRequest, "invalid_request")
	})
	t.Run("malformed body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oauth2/token", strings.NewReader("grant_type=%zz&code=%"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(appClient.id, appClient.secret)
		resp, err := http.DefaultClient.Do(req)
		h.must("POST", err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("oversized body is 413", func(t *testing.T) {
		resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {strings.Repeat("a", 100<<10)}})
		wantOAuthError(t, "oversized", resp, body, http.StatusRequestEntityTooLarge, "invalid_request")
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		resp := a.get(h.issuer + "/oauth2/token?grant_type=client_credentials")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	t.Run("wrong PKCE verifier (RFC 7636 §4.6)", func(t *testing.T) {
		code, _ := h.codeFor(a, appClient, nil, noPages)
		resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {appRedirect}, "code_verifier": {strings.Repeat("v", 50)}})
		wantOAuthError(t, "wrong verifier", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("missing PKCE verifier", func(t *testing.T) {
		code, _ := h.codeFor(a, appClient, nil, noPages)
		resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}})
		if resp.StatusCode != http.StatusBadRequest || (str(body, "error") != "invalid_grant" && str(body, "error") != "invalid_request") {
			t.Errorf("got %d %v", resp.StatusCode, body)
		}
	})
	t.Run("redirect_uri differs from the authorization request (RFC 6749 §4.1.3)", func(t *testing.T) {
		code, verifier := h.codeFor(a, appClient, nil, noPages)
		resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"http://127.0.0.1:9999/other"}, "code_verifier": {verifier}})
		wantOAuthError(t, "other redirect", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("code of another client", func(t *testing.T) {
		code, verifier := h.codeFor(a, appClient, nil, noPages)
		resp, body := h.token(spaClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {appRedirect}, "code_verifier": {verifier}})
		wantOAuthError(t, "stolen code", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("expired code", func(t *testing.T) {
		code, verifier := h.codeFor(a, appClient, nil, noPages)
		h.clock.advance(DefaultAuthorizeCodeLifespan + time.Second)
		defer h.clock.advance(-DefaultAuthorizeCodeLifespan - time.Second)
		resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {appRedirect}, "code_verifier": {verifier}})
		wantOAuthError(t, "expired code", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("expired refresh token", func(t *testing.T) {
		rt := str(h.tokensFor(a, appClient), "refresh_token")
		h.clock.advance(DefaultRefreshTokenLifespan + time.Second)
		defer h.clock.advance(-DefaultRefreshTokenLifespan - time.Second)
		resp, body := h.refresh(appClient, rt)
		wantOAuthError(t, "expired refresh token", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("garbage refresh token", func(t *testing.T) {
		resp, body := h.refresh(appClient, "ory_rt_nope.nope")
		wantOAuthError(t, "garbage", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("refresh token of another client", func(t *testing.T) {
		rt := str(h.tokensFor(a, appClient), "refresh_token")
		resp, body := h.refresh(thirdClient, rt)
		if resp.StatusCode != http.StatusBadRequest || str(body, "error") != "invalid_grant" {
			t.Errorf("got %d %v", resp.StatusCode, body)
		}
	})
}

// TestClientCredentials: only confidential clients registered for the
// grant, only scopes the client was registered with (RFC 6749 §4.4).
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, body := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
	if resp.StatusCode != http.StatusOK || str(body, "scope") != "api:read" || str(body, "refresh_token") != "" {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	typ, at := h.accessClaims(str(body, "access_token"))
	aud, _ := at["aud"].([]any)
	// RFC 9068 §2.2: sub is the client when no user is involved.
	if typ != "at+jwt" || at["sub"] != svcClient.id || at["client_id"] != svcClient.id || len(aud) != 1 || aud[0] != apiAudience {
		t.Errorf("access token %s %v", typ, at)
	}
	if in := h.introspect(str(body, "access_token")); in["active"] != true || in["sub"] != svcClient.id {
		t.Errorf("introspection %v", in)
	}

	resp, body = h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read admin"}})
	wantOAuthError(t, "scope not registered", resp, body, http.StatusBadRequest, "invalid_scope")
	resp, body = h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "audience": {"https://other.example"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("audience not registered: %d %v", resp.StatusCode, body)
	}
	resp, body = h.token(appClient, url.Values{"grant_type": {"client_credentials"}})
	wantOAuthError(t, "client without the grant", resp, body, http.StatusBadRequest, "unauthorized_client")
	resp, body = h.token(spaClient, url.Values{"grant_type": {"client_credentials"}})
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("public client: %d %v", resp.StatusCode, body)
	}
}
