package oauth

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 Appendix B

// TestAuthorizeRefusesWithPage: without a validated client and redirect URI
// the endpoint must not redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.11.1).
func TestAuthorizeRefusesWithPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	for _, tc := range []struct {
		name  string
		extra url.Values
		title string
	}{
		{"unknown client", url.Values{"client_id": {"nope"}}, "Unknown application"},
		{"missing client", url.Values{"client_id": {""}}, "Unknown application"},
		{"unregistered redirect URI", url.Values{"redirect_uri": {"https://evil.example/cb"}}, ""},
		// A loopback redirect may change its port only (RFC 8252 §7.3);
		// everything else is exact (RFC 9700 §4.1.3), also where fosite's
		// own loopback rule is looser.
		{"loopback redirect on another path", url.Values{"redirect_uri": {"http://127.0.0.1:9998/cb/x"}}, ""},
		{"loopback redirect with another query", url.Values{"redirect_uri": {"http://127.0.0.1:9998/cb?a=1"}}, ""},
		{"loopback redirect on another host", url.Values{"redirect_uri": {"http://127.0.0.2:9999/cb"}}, ""},
		{"loopback redirect as localhost", url.Values{"redirect_uri": {"http://localhost:9999/cb"}}, ""},
		{"loopback redirect over https", url.Values{"redirect_uri": {"https://127.0.0.1:9998/cb"}}, ""},
		{"loopback redirect with user information", url.Values{"redirect_uri": {"http://x@127.0.0.1:9998/cb"}}, "Invalid redirect URI"},
		{"redirect URI with a fragment", url.Values{"redirect_uri": {appRedirect + "#x"}}, ""},
		{"redirect URI with extra path", url.Values{"redirect_uri": {appRedirect + "/x"}}, ""},
		{"request_uri with an unregistered redirect URI", url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:abc"}, "redirect_uri": {"https://evil.example/cb"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.pages.title = ""
			resp := a.get(h.authURL(appClient, challenge, tc.extra))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d Location %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
			}
			if h.pages.title == "" || (tc.title != "" && h.pages.title != tc.title) {
				t.Errorf("page title %q, want %q", h.pages.title, tc.title)
			}
		})
	}
}

// TestAuthorizeErrorsRedirect: once client and redirect URI are valid,
// errors go back to the client with state and iss (RFC 6749 §4.1.2.1,
// RFC 9207 §2).
func TestAuthorizeErrorsRedirect(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	signedIn := h.agent()
	signedIn.signIn("u1", "")
	twoOrgs := h.agent()
	twoOrgs.signIn("u2", "")
	anon := h.agent()
	for _, tc := range []struct {
		name  string
		a     *agent
		c     testClient
		extra url.Values
		want  string
	}{
		{"missing PKCE (RFC 9700 §2.1.1)", signedIn, appClient, url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, "invalid_request"},
		{"plain PKCE (RFC 7636 §4.2, RFC 9700 §2.1.1)", signedIn, appClient, url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		{"PKCE method omitted (defaults to plain)", signedIn, appClient, url.Values{"code_challenge_method": {""}}, "invalid_request"},
		{"malformed challenge", signedIn, appClient, url.Values{"code_challenge": {"short"}}, "invalid_request"},
		{"implicit response type (RFC 9700 §2.1.2)", signedIn, appClient, url.Values{"response_type": {"token"}}, "unsupported_response_type"},
		{"hybrid response type", signedIn, appClient, url.Values{"response_type": {"code id_token"}}, "unsupported_response_type"},
		{"scope not registered", signedIn, appClient, url.Values{"scope": {"openid admin"}}, "invalid_scope"},
		{"unknown prompt", signedIn, appClient, url.Values{"prompt": {"bogus"}}, "invalid_request"},
		{"prompt=none with another value (OIDC Core §3.1.2.1)", signedIn, appClient, url.Values{"prompt": {"none login"}}, "invalid_request"},
		{"short nonce", signedIn, appClient, url.Values{"nonce": {"abc"}}, "invalid_request"},
		{"bad max_age", signedIn, appClient, url.Values{"max_age": {"-1"}}, "invalid_request"},
		{"overflowing max_age", signedIn, appClient, url.Values{"max_age": {"99999999999999999"}}, "invalid_request"},
		{"forged id_token_hint", signedIn, appClient, url.Values{"id_token_hint": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9."}}, "invalid_request"},
		// A request object that does not verify (here: a client without
		// keys) is refused (RFC 9101 §6.3), never merged.
		{"request object (client has no keys)", signedIn, thirdClient, url.Values{"request": {"eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6Im9wZW5pZCBlbWFpbCBvZmZsaW5lX2FjY2VzcyJ9.c2ln"}}, "invalid_request_object"},
		// OIDC Core §6.2, §3.1.2.6; RFC 9126 §4 for the pushed form.
		{"unknown pushed request URI (RFC 9126 §4)", signedIn, appClient, url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:abc"}}, "invalid_request_uri"},
		{"request_uri by reference (never fetched)", anon, appClient, url.Values{"request_uri": {"https://app.example/request.jwt"}}, "request_uri_not_supported"},
		{"prompt=none without a session (OIDC Core §3.1.2.6)", anon, appClient, url.Values{"prompt": {"none"}}, "login_required"},
		// Once the redirect URI is valid, prompt=none without a session is
		// login_required whatever else is wrong (authorize.go, step 3).
		{"prompt=none without a session, nor PKCE", anon, appClient, url.Values{"prompt": {"none"}, "code_challenge": {""}, "code_challenge_method": {""}}, "login_required"},
		{"prompt=none without a session, unknown scope", anon, appClient, url.Values{"prompt": {"none"}, "scope": {"openid admin"}}, "login_required"},
		{"prompt=none without a session, implicit response type", anon, appClient, url.Values{"prompt": {"none"}, "response_type": {"token"}}, "login_required"},
		{"prompt=none without a session, bad max_age", anon, appClient, url.Values{"prompt": {"none"}, "max_age": {"-1"}}, "login_required"},
		{"prompt=none with a session, nor PKCE", signedIn, appClient, url.Values{"prompt": {"none"}, "code_challenge": {""}, "code_challenge_method": {""}}, "invalid_request"},
		{"prompt=none without consent", signedIn, thirdClient, url.Values{"prompt": {"none"}}, "consent_required"},
		{"prompt=none with an organization to pick", twoOrgs, appClient, url.Values{"prompt": {"none"}}, "interaction_required"},
		{"prompt=none, max_age=0", signedIn, appClient, url.Values{"prompt": {"none"}, "max_age": {"0"}}, "login_required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.a.get(h.authURL(tc.c, challenge, tc.extra))
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("status %d, no redirect (page %q)", resp.StatusCode, h.pages.title)
			}
			q := loc.Query()
			if !strings.HasPrefix(loc.String(), tc.c.redirect) || q.Get("error") != tc.want ||
				q.Get("state") != "state-0123456789" || q.Get("iss") != h.issuer || q.Get("code") != "" {
				t.Fatalf("redirect %s, want error=%s with state and iss", loc, tc.want)
			}
		})
	}
}

func TestAuthorizeFormPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	resp, err := a.client.Get(h.authURL(appClient, challenge, url.Values{"response_mode": {"form_post"}}))
	h.must("GET", err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="code"`) ||
		!strings.Contains(string(body), `action="`+appRedirect+`"`) || !strings.Contains(string(body), "state-0123456789") {
		t.Fatalf("form_post response %d: %s", resp.StatusCode, body)
	}
}

// TestAuthorizePost: the endpoint accepts POST (OIDC Core §3.1.2.1).
func TestAuthorizePost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	u, _ := url.Parse(h.authURL(appClient, challenge, nil))
	resp, err := a.client.PostForm(h.issuer+"/oauth2/authorize", u.Query())
	h.must("POST", err)
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("POST authorize: %d %v", resp.StatusCode, loc)
	}
}

// TestDecisionFlow runs the sign-in, organization and consent steps.
func TestDecisionFlow(t *testing.T) {
	t.Parallel()
	t.Run("several organizations: the picker's choice is in the tokens", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		code, verifier := h.codeFor(a, appClient, nil, loginAs("u2", "o2"))
		resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("exchange: %v", body)
		}
		if _, at := h.accessClaims(str(body, "access_token")); at["org_id"] != "o2" || at["org_role"] != "owner" || at["org_name"] != "Globex" {
			t.Errorf("access token org claims %v", at)
		}
	})
	t.Run("the session's active organization skips the picker", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u2", "o1")
		code, verifier := h.codeFor(a, appClient, nil, noPages)
		_, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}})
		if _, at := h.accessClaims(str(body, "access_token")); at["org_id"] != "o1" {
			t.Errorf("org %v, want the session's o1", at["org_id"])
		}
	})
	t.Run("a client bound to an organization", func(t *testing.T) {
		h := newHarness(t)
		h.must("bind", h.store.UpdateClient(t.Context(), appClient.id, func(c storage.Client) (storage.Client, error) {
			c.OrgID = "o2"
			return c, nil
		}))
		a := h.agent()
		a.signIn("u2", "o1")
		code, verifier := h.codeFor(a, appClient, nil, noPages)
		_, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}})
		if _, at := h.accessClaims(str(body, "access_token")); at["org_id"] != "o2" {
			t.Errorf("org %v, want the client's o2", at["org_id"])
		}
		b := h.agent()
		b.signIn("u1", "")
		loc, _ := b.follow(h.authURL(appClient, challenge, nil), noPages)
		if loc.Query().Get("error") != "access_denied" {
			t.Errorf("non-member: %s, want access_denied", loc)
		}
	})
	t.Run("third-party client: consent page, then remembered consent", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u1", "")
		_, seen := a.follow(h.authURL(thirdClient, challenge, nil), loginAs("u1", ""))
		if !slices.Equal(seen, []string{PathConsent}) {
			t.Fatalf("pages %v, want consent", seen)
		}
		// provider/web remembers the consent; then no page (unless asked).
		h.must("PutConsent", h.store.PutConsent(t.Context(), storage.Consent{UserID: "u1", ClientID: thirdClient.id,
			Scopes: []string{"openid", "profile", "email", "offline_access"}, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now()}))
		if _, seen := a.follow(h.authURL(thirdClient, challenge, nil), noPages); len(seen) != 0 {
			t.Errorf("pages %v with remembered consent", seen)
		}
		if _, seen := a.follow(h.authURL(thirdClient, challenge, url.Values{"scope": {"openid api:read"}}), loginAs("u1", "")); !slices.Equal(seen, []string{PathConsent}) {
			t.Errorf("pages %v for a scope not consented to", seen)
		}
		if _, seen := a.follow(h.authURL(thirdClient, challenge, url.Values{"prompt": {"consent"}}), loginAs("u1", "")); !slices.Equal(seen, []string{PathConsent}) {
			t.Errorf("pages %v with prompt=consent (OIDC Core §3.1.2.1)", seen)
		}
	})
	t.Run("denied consent is access_denied", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u1", "")
		loc, _ := a.follow(h.authURL(thirdClient, challenge, nil), func(a *agent, path, id string) {
			h.must("deny", h.store.UpdateAuthRequest(t.Context(), id, func(r storage.AuthRequest) (storage.AuthRequest, error) {
				r.Denied = true
				return r, nil
			}))
		})
		if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "state-0123456789" {
			t.Errorf("callback %s", loc)
		}
	})
	t.Run("prompt=login, select_account and max_age ask for a sign-in even with a session", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u1", "")
		for _, extra := range []url.Values{{"prompt": {"login"}}, {"prompt": {"select_account"}}, {"max_age": {"0"}}} {
			loc, seen := a.follow(h.authURL(appClient, challenge, extra), loginAs("u1", ""))
			if !slices.Equal(seen, []string{PathLogin}) || loc.Query().Get("code") == "" {
				t.Errorf("%v: pages %v, callback %s", extra, seen, loc)
			}
		}
		h.clock.advance(2 * time.Minute)
		if _, seen := a.follow(h.authURL(appClient, challenge, url.Values{"max_age": {"60"}}), loginAs("u1", "")); !slices.Equal(seen, []string{PathLogin}) {
			t.Errorf("max_age exceeded: pages %v (OIDC Core §3.1.2.1)", seen)
		}
		if _, seen := a.follow(h.authURL(appClient, challenge, url.Values{"max_age": {"3600"}}), noPages); len(seen) != 0 {
			t.Errorf("max_age satisfied: pages %v", seen)
		}
	})
	t.Run("a disabled user signs in again", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u1", "")
		h.must("disable", h.store.UpdateUser(t.Context(), "u1", func(u storage.User) (storage.User, error) {
			u.Disabled = true
			return u, nil
		}))
		resp := a.get(h.authURL(appClient, challenge, nil))
		if loc, _ := resp.Location(); loc == nil || loc.Path != PathLogin {
			t.Errorf("disabled user: %d %v, want the login page", resp.StatusCode, loc)
		}
	})
	t.Run("decisions of another browser session do not count", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		resp := a.get(h.authURL(appClient, challenge, url.Values{"prompt": {"login"}}))
		loc, _ := resp.Location()
		id := loc.Query().Get("request")
		// Someone else's session records a login on this request.
		other := h.agent()
		s := other.signIn("u2", "o1")
		h.must("record", h.store.UpdateAuthRequest(t.Context(), id, func(r storage.AuthRequest) (storage.AuthRequest, error) {
			r.SessionID, r.LoginAt = s.ID, h.clock.Now()
			return r, nil
		}))
		a.signIn("u1", "")
		resp = a.get(h.issuer + PathResume + "?request=" + id)
		if loc, _ := resp.Location(); loc == nil || loc.Path != PathLogin {
			t.Fatalf("resume from another session: %d %v, want the login page again", resp.StatusCode, loc)
		}
		ar, err := h.store.GetAuthRequest(t.Context(), id, h.clock.Now())
		h.must("GetAuthRequest", err)
		if cur, _, _ := h.browser.Current(withCookies(a, h.issuer)); ar.SessionID != cur.ID || !ar.LoginAt.IsZero() {
			t.Errorf("request not re-bound to the presenting session: %+v", ar)
		}
	})
	t.Run("resume of an unknown or finished request is a page", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		resp := a.get(h.issuer + PathResume + "?request=nope")
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("unknown request: %d", resp.StatusCode)
		}
		var id string
		a.follow(h.authURL(appClient, challenge, nil), func(a *agent, path, rid string) {
			id = rid
			loginAs("u1", "")(a, path, rid)
		})
		if resp := a.get(h.issuer + PathResume + "?request=" + id); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("resuming a finished request (single use): %d", resp.StatusCode)
		}
	})
	t.Run("an expired parked request", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		resp := a.get(h.authURL(appClient, challenge, nil))
		loc, _ := resp.Location()
		h.clock.advance(DefaultAuthRequestLifespan + time.Second)
		a.signIn("u1", "")
		if resp := a.get(h.issuer + PathResume + "?" + loc.RawQuery); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("expired request: %d", resp.StatusCode)
		}
	})
	t.Run("id_token_hint of another user asks for a sign-in", func(t *testing.T) {
		h := newHarness(t)
		a := h.agent()
		a.signIn("u1", "")
		id := str(h.tokensFor(a, appClient), "id_token")
		b := h.agent()
		b.signIn("u2", "o1")
		resp := b.get(h.authURL(appClient, challenge, url.Values{"id_token_hint": {id}}))
		if loc, _ := resp.Location(); loc == nil || loc.Path != PathLogin {
			t.Errorf("hint for u1, session of u2: %v", loc)
		}
		resp = b.get(h.authURL(appClient, challenge, url.Values{"id_token_hint": {id}, "prompt": {"none"}}))
		if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "login_required" {
			t.Errorf("prompt=none: %v", loc)
		}
		if loc, _ := a.follow(h.authURL(appClient, challenge, url.Values{"id_token_hint": {id}, "prompt": {"none"}}), noPages); loc.Query().Get("code") == "" {
			t.Errorf("matching hint with prompt=none: %s", loc)
		}
	})
}

// withCookies is a request carrying the agent's cookies for base.
func withCookies(a *agent, base string) *http.Request {
	r, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/", nil)
	u, _ := url.Parse(base)
	for _, c := range a.client.Jar.Cookies(u) {
		r.AddCookie(c)
	}
	return r
}

// TestAuthorizeUnsupportedRequestPage: a pushed-style request (client_id
// and request_uri only) or a request object for a client with several
// redirect URIs cannot be redirected; the page names what this server does
// not support rather than a missing parameter (OIDC Core §6, RFC 9126 §4).
func TestAuthorizeUnsupportedRequestPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := h.clock.Now()
	h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{
		ID: "multi", Name: "Multi", Public: true, RedirectURIs: []string{"https://multi.example/a", "https://multi.example/b"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"},
		TokenEndpointAuthMethod: "none", CreatedAt: now, UpdatedAt: now,
	}))
	for _, tc := range []struct{ param, value, want string }{
		{"request_uri", "urn:ietf:params:oauth:request_uri:abc", "request_uri"},
		{"request", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "request object"},
	} {
		resp, err := http.Get(h.issuer + "/oauth2/authorize?" + url.Values{"client_id": {"multi"}, tc.param: {tc.value}}.Encode())
		h.must("GET", err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d Location %q page %q, want a 400 page naming %s", tc.param, resp.StatusCode, resp.Header.Get("Location"), body, tc.want)
		}
	}
}

// TestSilentAuthorizeReadsTheSessionOnce: a prompt=none request (an SPA's
// silent renew, often) checks for a session before anything else and then
// decides with it; the session is read once, not once per step.
func TestSilentAuthorizeReadsTheSessionOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "o1")
	h.browser.mu.Lock()
	h.browser.reads = 0
	h.browser.mu.Unlock()
	h.codeFor(a, appClient, url.Values{"prompt": {"none"}}, noPages)
	h.browser.mu.Lock()
	defer h.browser.mu.Unlock()
	if h.browser.reads != 1 {
		t.Fatalf("the browser session was read %d times, want 1", h.browser.reads)
	}
}
