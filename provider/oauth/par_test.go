package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// pushParams are the authorization parameters authURL would send for c.
func (h *harness) pushParams(c testClient, challenge string, extra url.Values) url.Values {
	u, _ := url.Parse(h.authURL(c, challenge, extra))
	return u.Query()
}

// push sends form to the pushed authorization request endpoint as c
// (authenticated as at the token endpoint).
func (h *harness) push(c testClient, form url.Values) (*http.Response, map[string]any) {
	h.t.Helper()
	return h.postAs(c, "/oauth2/par", form)
}

// pushed pushes c's request and returns the request_uri.
func (h *harness) pushed(c testClient, challenge string, extra url.Values) string {
	h.t.Helper()
	resp, body := h.push(c, h.pushParams(c, challenge, extra))
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("push: %d %v", resp.StatusCode, body)
	}
	ru := str(body, "request_uri")
	if !strings.HasPrefix(ru, RequestURIPrefix) || body["expires_in"] != DefaultPushedRequestLifespan.Seconds() {
		h.t.Fatalf("push answered %v, want a %s… request_uri expiring in %v", body, RequestURIPrefix, DefaultPushedRequestLifespan)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		h.t.Errorf("push: Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	return ru
}

func (h *harness) byReference(c testClient, requestURI string, extra url.Values) string {
	q := url.Values{"client_id": {c.id}, "request_uri": {requestURI}}
	for k, v := range extra {
		q[k] = v
	}
	return h.issuer + "/oauth2/authorize?" + q.Encode()
}

// TestPushedAuthorizationFlow: RFC 9126 §2 push, §4 the authorization
// request by reference, the code exchanged as usual; a second use of the
// request_uri is invalid_request_uri.
func TestPushedAuthorizationFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []testClient{appClient, spaClient, thirdClient} {
		a := h.agent()
		a.signIn("u1", "o1")
		verifier := randtoken.New() + "x"
		ru := h.pushed(c, s256(verifier), nil)
		// §4: parameters outside the pushed request are not used.
		loc, _ := a.follow(h.byReference(c, ru, url.Values{"scope": {"openid admin"}, "state": {"other-state-0123"}}), loginAs("u1", "o1"))
		code := loc.Query().Get("code")
		if code == "" || loc.Query().Get("state") != "state-0123456789" {
			t.Fatalf("%s: redirect %s, want a code with the pushed state", c.id, loc)
		}
		resp, body := h.token(c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {c.redirect}, "code_verifier": {verifier}})
		if resp.StatusCode != http.StatusOK || str(body, "id_token") == "" {
			t.Fatalf("%s: code exchange %d %v", c.id, resp.StatusCode, body)
		}
		if scope := str(body, "scope"); strings.Contains(scope, "admin") {
			t.Errorf("%s: scope %q took the query's scope", c.id, scope)
		}

		// Single use (RFC 9126 §4): without a redirect_uri a page ...
		resp = a.get(h.byReference(c, ru, nil))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: reused request_uri: %d Location %q, want a 400 page", c.id, resp.StatusCode, resp.Header.Get("Location"))
		}
		// ... and with a registered one, invalid_request_uri on it.
		resp = a.get(h.byReference(c, ru, url.Values{"redirect_uri": {c.redirect}, "state": {"s-0123456789"}}))
		loc, _ = resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "invalid_request_uri" ||
			loc.Query().Get("state") != "s-0123456789" || loc.Query().Get("iss") != h.issuer {
			t.Errorf("%s: reused request_uri with redirect_uri: %d %v, want invalid_request_uri on the redirect", c.id, resp.StatusCode, loc)
		}
	}
}

// TestPushedRequestRefused: what RFC 9126 §2.1 and our authorization
// endpoint refuse is refused at the push already, in the token endpoint's
// error shape (§2.3).
func TestPushedRequestRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	challenge := s256(randtoken.New() + "x")
	ok := func(extra url.Values) url.Values { return h.pushParams(appClient, challenge, extra) }
	for _, tc := range []struct {
		name   string
		form   url.Values
		user   string
		pass   string
		status int
		code   string
	}{
		{"request_uri inside (§2.1)", ok(url.Values{"request_uri": {RequestURIPrefix + "abc"}}), appClient.id, appClient.secret, 400, "invalid_request"},
		{"wrong client secret", ok(nil), appClient.id, "wrong", 401, "invalid_client"},
		{"no client authentication", ok(nil), "", "", 401, "invalid_client"},
		{"unknown client", ok(url.Values{"client_id": {"nobody"}}), "nobody", "x", 401, "invalid_client"},
		{"client_id of another client", ok(url.Values{"client_id": {spaClient.id}}), appClient.id, appClient.secret, 400, "invalid_request"},
		{"redirect_uri not registered", ok(url.Values{"redirect_uri": {"https://evil.example/cb"}}), appClient.id, appClient.secret, 400, "invalid_request"},
		{"no PKCE", ok(url.Values{"code_challenge": {""}, "code_challenge_method": {""}}), appClient.id, appClient.secret, 400, "invalid_request"},
		{"plain PKCE", ok(url.Values{"code_challenge_method": {"plain"}}), appClient.id, appClient.secret, 400, "invalid_request"},
		{"scope not registered", ok(url.Values{"scope": {"openid admin"}}), appClient.id, appClient.secret, 400, "invalid_scope"},
		{"implicit response type", ok(url.Values{"response_type": {"token"}}), appClient.id, appClient.secret, 400, "unsupported_response_type"},
		// A request object in a push is verified as at the authorization
		// endpoint (RFC 9126 §3): alg none never passes (RFC 9101 §10.1).
		{"unsigned request object", ok(url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}), appClient.id, appClient.secret, 400, "invalid_request_object"},
		{"unknown resource", ok(url.Values{"resource": {"https://other.example"}}), appClient.id, appClient.secret, 400, "invalid_target"},
	} {
		resp, body := h.postForm("/oauth2/par", tc.form, tc.user, tc.pass)
		if resp.StatusCode != tc.status || str(body, "error") != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	// A public client must send PKCE too.
	resp, body := h.push(spaClient, h.pushParams(spaClient, "", nil))
	wantOAuthError(t, "public client without PKCE", resp, body, 400, "invalid_request")

	// An oversized body is refused before anything is read from it.
	big := ok(url.Values{"state": {strings.Repeat("s", 70<<10)}})
	resp, body = h.postForm("/oauth2/par", big, appClient.id, appClient.secret)
	wantOAuthError(t, "oversized body", resp, body, http.StatusRequestEntityTooLarge, "invalid_request")

	// Only POST (§2).
	resp, err := http.Get(h.issuer + "/oauth2/par?" + ok(nil).Encode())
	h.must("GET", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
}

// TestPushedRequestURIRefused: a request_uri that is unknown, expired or
// another client's is invalid_request_uri (RFC 9126 §4, §7.3); the
// other client's attempt leaves it usable by its own client.
func TestPushedRequestURIRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "o1")
	wantInvalid := func(what string, u string) {
		t.Helper()
		resp := a.get(u)
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "invalid_request_uri" {
			t.Errorf("%s: %d %v, want invalid_request_uri on the redirect", what, resp.StatusCode, loc)
		}
	}
	challenge := s256(randtoken.New() + "x")
	redirect := func(c testClient) url.Values { return url.Values{"redirect_uri": {c.redirect}} }

	wantInvalid("unknown", h.byReference(appClient, RequestURIPrefix+"never-issued", redirect(appClient)))

	ru := h.pushed(appClient, challenge, nil)
	wantInvalid("another client's", h.byReference(thirdClient, ru, redirect(thirdClient)))
	if loc, _ := a.follow(h.byReference(appClient, ru, nil), noPages); loc.Query().Get("code") == "" {
		t.Errorf("owner after another client's attempt: %s, want a code", loc)
	}

	ru = h.pushed(appClient, challenge, nil)
	h.clock.advance(DefaultPushedRequestLifespan + 1e9)
	wantInvalid("expired", h.byReference(appClient, ru, redirect(appClient)))

	// A redirect_uri the client did not register never gets the error.
	resp := a.get(h.byReference(appClient, RequestURIPrefix+"never-issued", url.Values{"redirect_uri": {"https://evil.example/cb"}}))
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unregistered redirect_uri: %d Location %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Nor does an unknown client, or a request without client_id (§4).
	for _, q := range []url.Values{
		{"client_id": {"nobody"}, "request_uri": {RequestURIPrefix + "x"}, "redirect_uri": {appRedirect}},
		{"request_uri": {RequestURIPrefix + "x"}, "redirect_uri": {appRedirect}},
	} {
		resp := a.get(h.issuer + "/oauth2/authorize?" + q.Encode())
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%v: %d Location %q, want a 400 page", q, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// TestRequirePushedAuthorizationRequests: RFC 9126 §5, per client and for
// every client; a pushed request of such a client goes through the pages
// and back as any other.
func TestRequirePushedAuthorizationRequests(t *testing.T) {
	t.Parallel()
	for _, global := range []bool{false, true} {
		h := newHarness(t, func(c *Config) { c.RequirePushedAuthorizationRequests = global })
		if !global {
			h.must("UpdateClient", h.store.UpdateClient(context.Background(), thirdClient.id, func(c storage.Client) (storage.Client, error) {
				c.RequirePushedAuthorizationRequests = true
				return c, nil
			}))
		}
		a := h.agent()
		a.signIn("u1", "o1")
		challenge := s256(randtoken.New() + "x")
		resp := a.get(h.authURL(thirdClient, challenge, nil))
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "invalid_request" {
			t.Fatalf("global=%v: direct request: %d %v, want invalid_request on the redirect", global, resp.StatusCode, loc)
		}
		if !global {
			// Other clients are not affected.
			if loc, _ := a.follow(h.authURL(appClient, challenge, nil), noPages); loc.Query().Get("code") == "" {
				t.Errorf("app, not required: %s, want a code", loc)
			}
		}
		// The consent page and the resumption after it carry on with the
		// pushed parameters.
		loc, seen := a.follow(h.byReference(thirdClient, h.pushed(thirdClient, challenge, nil), nil), loginAs("u1", "o1"))
		if loc.Query().Get("code") == "" || len(seen) == 0 {
			t.Errorf("global=%v: pushed request: %s after %v, want a code after the consent page", global, loc, seen)
		}
	}
}

// TestPushedRequestURIRace: RFC 9126 §4 one-time use under contention:
// of 20 browsers presenting one request_uri at once, exactly one gets on to
// the sign-in page; the others see the error page.
func TestPushedRequestURIRace(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		open func(testing.TB) storage.Store
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			h := newHarnessOn(t, backend.open(t))
			ru := h.pushed(appClient, s256(randtoken.New()+"x"), nil)
			u := h.byReference(appClient, ru, nil)
			const n = 20
			statuses := make([]int, n)
			locations := make([]string, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					a := h.agent()
					<-start
					resp, err := a.client.Get(u)
					if err != nil {
						t.Errorf("GET: %v", err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					statuses[i], locations[i] = resp.StatusCode, resp.Header.Get("Location")
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for i := range n {
				switch {
				case statuses[i] == http.StatusFound && strings.Contains(locations[i], PathLogin+"?request="):
					won++
				case statuses[i] == http.StatusBadRequest && locations[i] == "":
				default:
					t.Errorf("browser %d: %d %q, want the sign-in page or a 400 page", i, statuses[i], locations[i])
				}
			}
			if won != 1 {
				t.Fatalf("%d browsers went on to sign in, want exactly 1", won)
			}
		})
	}
}

// TestPushedRequestPrivateKeyJWT: a private_key_jwt client pushes with an
// assertion whose aud is the issuer, the token endpoint or the pushed
// authorization request endpoint (RFC 9126 §2); another audience is
// invalid_client, and the token endpoint still wants its own URL.
func TestPushedRequestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	h.must("GenerateKey", err)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256"}}})
	now := h.clock.Now()
	h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{
		ID: "pkj", Name: "PKJ", JWKS: jwks, RedirectURIs: []string{"https://pkj.example/cb"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"},
		TokenEndpointAuthMethod: "private_key_jwt", CreatedAt: now, UpdatedAt: now,
	}))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	h.must("NewSigner", err)
	assertion := func(aud string) string {
		real := time.Now()
		tok, err := josejwt.Signed(signer).Claims(josejwt.Claims{
			Issuer: "pkj", Subject: "pkj", Audience: josejwt.Audience{aud}, ID: rand.Text(),
			IssuedAt: josejwt.NewNumericDate(real), Expiry: josejwt.NewNumericDate(real.Add(time.Minute)),
		}).Serialize()
		h.must("sign", err)
		return tok
	}
	pkj := testClient{id: "pkj", redirect: "https://pkj.example/cb"}
	for _, tc := range []struct {
		aud  string
		want int
	}{
		{h.issuer, http.StatusCreated},
		{h.issuer + "/oauth2/token", http.StatusCreated},
		{h.issuer + "/oauth2/par", http.StatusCreated},
		{"https://elsewhere.example", http.StatusUnauthorized},
	} {
		form := h.pushParams(pkj, s256(randtoken.New()+"x"), url.Values{"scope": {"openid"}})
		form.Set("client_assertion_type", clientAssertionType)
		form.Set("client_assertion", assertion(tc.aud))
		resp, body := h.postForm("/oauth2/par", form, "", "")
		if resp.StatusCode != tc.want {
			t.Errorf("aud %s: %d %v, want %d", tc.aud, resp.StatusCode, body, tc.want)
		}
	}
	resp, body := h.postForm("/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {"x"},
		"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion(h.issuer + "/oauth2/par")}}, "", "")
	wantOAuthError(t, "token endpoint, aud the PAR endpoint", resp, body, http.StatusUnauthorized, "invalid_client")
}
