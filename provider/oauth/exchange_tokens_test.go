package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// backendClient (client A) signs users in with the code flow and exchanges
// their access tokens for tokens to backend B (RFC 8693 impersonation and
// delegation); its exchange policy allows B and C only.
var backendClient = testClient{"backend-a", "backend-a-secret-0123456789abcdefghijklmn", "http://127.0.0.1:9998/cb", false}

const (
	audienceB = "https://b.example"
	audienceC = "https://c.example/api"
)

func (h *harness) backendClients() {
	h.t.Helper()
	now := h.clock.Now()
	c := storage.Client{
		ID: backendClient.id, SecretHash: randtoken.Hash(backendClient.secret), Name: "Backend A", FirstParty: true,
		RedirectURIs: []string{backendClient.redirect},
		GrantTypes:   []string{"authorization_code", "refresh_token", GrantTypeTokenExchange},
		Scopes:       []string{"openid", "profile", "email", "offline_access", "api:read"}, Audiences: []string{apiAudience},
		ExchangeAudiences: []string{audienceB, audienceC}, TokenEndpointAuthMethod: "client_secret_basic",
		ResponseTypes: []string{"code"}, CreatedAt: now, UpdatedAt: now,
	}
	h.must("CreateClient", h.store.CreateClient(context.Background(), c))
}

// userTokens runs the code flow for backend A with golang.org/x/oauth2 at
// its defaults (PKCE S256, client_secret_basic) and returns its tokens.
func (h *harness) userTokens(scopes ...string) (accessToken, idToken string) {
	h.t.Helper()
	ctx := context.WithValue(h.t.Context(), oauth2.HTTPClient, h.srv.Client())
	conf := oauth2.Config{
		ClientID: backendClient.id, ClientSecret: backendClient.secret, RedirectURL: backendClient.redirect,
		Endpoint: oauth2.Endpoint{AuthURL: h.issuer + "/oauth2/authorize", TokenURL: h.issuer + "/oauth2/token"},
		Scopes:   scopes,
	}
	verifier := oauth2.GenerateVerifier()
	loc, _ := h.agent().follow(conf.AuthCodeURL("state-exchange-0123456789", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "nonce-exchange-0123456789")), loginAs("u1", ""))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		h.t.Fatalf("code exchange: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	return tok.AccessToken, idt
}

// exchange is RFC 8693 §2.1's request: x/oauth2 has no token exchange, so
// this is a plain client_secret_basic POST with net/http.
func (h *harness) exchange(c testClient, form url.Values) (*http.Response, map[string]any) {
	h.t.Helper()
	return h.token(c, form)
}

// tokenExchangeForm is RFC 8693 §2.1's form; extra are name, value pairs:
// the first of a name replaces the default, a later one adds a value (two
// audiences), an empty value removes the parameter.
func tokenExchangeForm(subject, subjectType string, extra ...string) url.Values {
	f := url.Values{"grant_type": {GrantTypeTokenExchange}, "subject_token": {subject}, "subject_token_type": {subjectType}}
	named := map[string]bool{}
	for i := 0; i+1 < len(extra); i += 2 {
		switch k, v := extra[i], extra[i+1]; {
		case v == "":
			f.Del(k)
		case named[k]:
			f.Add(k, v)
		default:
			f.Set(k, v)
		}
		named[extra[i]] = true
	}
	return f
}

// TestTokenExchangeAccessToken: backend A exchanges the access token of a
// user's code flow for one to backend B (RFC 8693 §1.1 impersonation), then
// with an actor token for a delegated one (§1.1, §4.1 act), and backend B
// checks both with go-oidc as a resource server would; on SQLite and
// PostgreSQL.
func TestTokenExchangeAccessToken(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB) storage.Store{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tokenExchangeAccessToken(t, newHarnessOn(t, open(t)))
		})
	}
}

func tokenExchangeAccessToken(t *testing.T, h *harness) {
	h.backendClients()
	at, _ := h.userTokens("openid", "profile", "api:read")

	// Impersonation: sub stays the user's, aud becomes B, scope narrows.
	resp, body := h.exchange(backendClient, tokenExchangeForm(at, TokenTypeAccessToken, "audience", audienceB, "scope", "api:read"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	// RFC 8693 §2.2.1.
	if str(body, "issued_token_type") != TokenTypeAccessToken || str(body, "token_type") != "Bearer" ||
		str(body, "scope") != "api:read" || body["refresh_token"] != nil {
		t.Fatalf("exchange response: %v", body)
	}
	newAT := str(body, "access_token")

	// Backend B: verify with go-oidc against the provider's JWKS, its own
	// identifier as the audience.
	ctx := oidc.ClientContext(t.Context(), h.srv.Client())
	provider, err := oidc.NewProvider(ctx, h.issuer)
	h.must("NewProvider", err)
	verifierB := provider.Verifier(&oidc.Config{ClientID: audienceB})
	tok, err := verifierB.Verify(ctx, newAT)
	if err != nil {
		t.Fatalf("backend B verifies the exchanged token: %v", err)
	}
	var claims map[string]any
	h.must("claims", tok.Claims(&claims))
	if tok.Subject != "u1" || len(tok.Audience) != 1 || tok.Audience[0] != audienceB || claims["scope"] != "api:read" ||
		claims["client_id"] != backendClient.id || claims["act"] != nil || claims["org_id"] != "o1" {
		t.Fatalf("impersonation token: aud %v claims %v", tok.Audience, claims)
	}
	// The user's original token is not for B.
	if _, err := verifierB.Verify(ctx, at); err == nil {
		t.Errorf("the subject token passes backend B's audience check")
	}
	if in := h.introspect(newAT); in["active"] != true || in["sub"] != "u1" || in["act"] != nil {
		t.Errorf("introspection: %v", in)
	}

	// Delegation: backend A acts for the user with its own token (a
	// client_credentials token of svc): act names it (RFC 8693 §4.1).
	actor := clientCredentialsToken(t, h)
	resp, body = h.exchange(backendClient, tokenExchangeForm(at, TokenTypeAccessToken, "resource", audienceC,
		"actor_token", actor, "actor_token_type", TokenTypeAccessToken, "requested_token_type", TokenTypeAccessToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delegation: %d %v", resp.StatusCode, body)
	}
	delegated := str(body, "access_token")
	tok, err = provider.Verifier(&oidc.Config{ClientID: audienceC}).Verify(ctx, delegated)
	if err != nil {
		t.Fatalf("backend C verifies the delegated token: %v", err)
	}
	var dc struct {
		Scope string         `json:"scope"`
		Act   map[string]any `json:"act"`
	}
	h.must("claims", tok.Claims(&dc))
	if tok.Subject != "u1" || dc.Act["sub"] != svcClient.id || len(dc.Act) != 1 || dc.Scope != "openid profile api:read" {
		t.Fatalf("delegated token: sub %s claims %+v", tok.Subject, dc)
	}
	// RFC 7662 with RFC 8693 §4.1: introspection shows act.
	in := h.introspect(delegated)
	if act, _ := in["act"].(map[string]any); in["active"] != true || act["sub"] != svcClient.id {
		t.Errorf("introspection of the delegated token: %v", in)
	}

	// A chain: the delegated token as actor nests its act inside the new
	// one (RFC 8693 §4.1: the least recent actor deepest).
	resp, body = h.exchange(backendClient, tokenExchangeForm(at, TokenTypeAccessToken, "audience", audienceB,
		"actor_token", delegated, "actor_token_type", TokenTypeAccessToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("nested delegation: %d %v", resp.StatusCode, body)
	}
	_, nc := h.accessClaims(str(body, "access_token"))
	raw, _ := json.Marshal(nc["act"])
	if string(raw) != `{"act":{"sub":"svc"},"sub":"u1"}` {
		t.Errorf("nested act = %s", raw)
	}
}

// TestTokenExchangeIDToken: an ID token issued to backend A is exchanged
// for an access token to B (RFC 8693 §3 id_token type).
func TestTokenExchangeIDToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.backendClients()
	_, idt := h.userTokens("openid", "profile")
	resp, body := h.exchange(backendClient, tokenExchangeForm(idt, grants.TokenTypeIDToken, "audience", audienceB))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	_, c := h.accessClaims(str(body, "access_token"))
	aud, _ := c["aud"].([]any)
	if c["sub"] != "u1" || len(aud) != 1 || aud[0] != audienceB || c["scope"] != "openid" {
		t.Fatalf("claims %v", c)
	}
	// §2.1 scope: an ID token carries only openid.
	resp, body = h.exchange(backendClient, tokenExchangeForm(idt, grants.TokenTypeIDToken, "audience", audienceB, "scope", "profile"))
	wantOAuthError(t, "scope beyond the ID token's", resp, body, http.StatusBadRequest, "invalid_scope")
	// An access token passed off as an ID token is no ID token.
	at, _ := h.userTokens("openid")
	resp, body = h.exchange(backendClient, tokenExchangeForm(at, grants.TokenTypeIDToken, "audience", audienceB))
	wantOAuthError(t, "access token as an ID token", resp, body, http.StatusBadRequest, "invalid_grant")
	// An ID token issued to A, presented by another exchange client.
	other := storage.Client{ID: "other-x", SecretHash: randtoken.Hash("other-x-secret-0123456789abcdefghijklmnop"), Name: "Other",
		GrantTypes: []string{GrantTypeTokenExchange}, Scopes: []string{"openid"}, ExchangeAudiences: []string{audienceB},
		TokenEndpointAuthMethod: "client_secret_basic", ResponseTypes: []string{"code"}, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now()}
	h.must("CreateClient", h.store.CreateClient(t.Context(), other))
	resp, body = h.exchange(testClient{id: other.ID, secret: "other-x-secret-0123456789abcdefghijklmnop"},
		tokenExchangeForm(idt, grants.TokenTypeIDToken, "audience", audienceB))
	wantOAuthError(t, "ID token of another client", resp, body, http.StatusBadRequest, "invalid_grant")

	// Expired: the ID token lifespan is past.
	h.clock.advance(DefaultIDTokenLifespan + time.Minute)
	resp, body = h.exchange(backendClient, tokenExchangeForm(idt, grants.TokenTypeIDToken, "audience", audienceB))
	wantOAuthError(t, "expired ID token", resp, body, http.StatusBadRequest, "invalid_grant")
}

// TestTokenExchangeTokenRejects: the refusals of RFC 8693 §2.2.2 and RFC
// 6749 §5.2 for access and ID token subjects, each in the RFC's JSON shape.
func TestTokenExchangeTokenRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.backendClients()
	h.exchangeClients()
	at, idt := h.userTokens("openid", "api:read")
	revoked, _ := h.userTokens("openid")
	resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {revoked}}, backendClient.id, backendClient.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	patToken, _ := h.newPAT("u1", []string{"openid"}, time.Time{})
	// A refresh token is not an access token.
	code, verifier := h.codeFor(h.agent(), appClient, nil, loginAs("u1", ""))
	_, tb := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {appRedirect}, "code_verifier": {verifier}})
	rt := str(tb, "refresh_token")
	forged := at[:strings.LastIndex(at, ".")+1] + "AAAA"

	AT := TokenTypeAccessToken
	for _, tc := range []struct {
		name   string
		client testClient
		form   url.Values
		code   string
	}{
		{"§2.1 subject_token_type unknown", backendClient, tokenExchangeForm(at, "urn:ietf:params:oauth:token-type:saml2", "audience", audienceB), "invalid_request"},
		{"§2.1 requested_token_type refresh_token", backendClient, tokenExchangeForm(at, AT, "audience", audienceB,
			"requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"), "invalid_request"},
		{"§2.1 requested_token_type id_token", backendClient, tokenExchangeForm(at, AT, "audience", audienceB,
			"requested_token_type", grants.TokenTypeIDToken), "invalid_request"},
		{"§2.1 actor_token without actor_token_type", backendClient, tokenExchangeForm(at, AT, "audience", audienceB, "actor_token", at), "invalid_request"},
		{"§2.1 actor_token_type without actor_token", backendClient, tokenExchangeForm(at, AT, "audience", audienceB, "actor_token_type", AT), "invalid_request"},
		{"§2.1 actor_token_type unsupported", backendClient, tokenExchangeForm(at, AT, "audience", audienceB,
			"actor_token", patToken, "actor_token_type", pat.TokenType), "invalid_request"},
		{"a PAT named an access token", backendClient, tokenExchangeForm(patToken, AT, "audience", audienceB), "invalid_request"},
		{"§2.2.2 audience outside the exchange policy", backendClient, tokenExchangeForm(at, AT, "audience", "https://evil.example"), "invalid_target"},
		{"§2.2.2 client's registered audience is not in its exchange policy", backendClient, tokenExchangeForm(at, AT, "audience", apiAudience), "invalid_target"},
		{"§2.2.2 resource outside the exchange policy", backendClient, tokenExchangeForm(at, AT, "resource", "https://evil.example/api"), "invalid_target"},
		{"§2.2.2 one of two audiences outside the policy", backendClient, tokenExchangeForm(at, AT, "audience", audienceB, "audience", "https://evil.example"), "invalid_target"},
		{"§2.2.2 no audience and a policy of two", backendClient, tokenExchangeForm(at, AT), "invalid_target"},
		{"§2.2.2 client without an exchange policy", cliConfClient, tokenExchangeForm(at, AT, "audience", audienceB, "scope", "openid"), "invalid_target"},
		{"§2.1 scope beyond the subject token", backendClient, tokenExchangeForm(at, AT, "audience", audienceB, "scope", "openid profile"), "invalid_scope"},
		{"§5.2 revoked subject token", backendClient, tokenExchangeForm(revoked, AT, "audience", audienceB), "invalid_grant"},
		{"§5.2 forged subject token", backendClient, tokenExchangeForm(forged, AT, "audience", audienceB), "invalid_grant"},
		{"§5.2 refresh token as subject", backendClient, tokenExchangeForm(rt, AT, "audience", audienceB), "invalid_grant"},
		{"§5.2 garbage subject token", backendClient, tokenExchangeForm("not-a-token", AT, "audience", audienceB), "invalid_grant"},
		{"§5.2 revoked actor token", backendClient, tokenExchangeForm(at, AT, "audience", audienceB,
			"actor_token", revoked, "actor_token_type", AT), "invalid_grant"},
		{"§5.2 forged actor ID token", backendClient, tokenExchangeForm(at, AT, "audience", audienceB,
			"actor_token", idt[:strings.LastIndex(idt, ".")+1]+"AAAA", "actor_token_type", grants.TokenTypeIDToken), "invalid_grant"},
		{"§5.2 client without the grant", appClient, tokenExchangeForm(at, AT, "audience", audienceB), "unauthorized_client"},
	} {
		resp, body := h.exchange(tc.client, tc.form)
		if resp.StatusCode != http.StatusBadRequest || str(body, "error") != tc.code || resp.Header.Get("Content-Type") == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: got %d %s %v, want 400 %s in JSON", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.code)
		}
	}

	// Nothing above was issued: the control succeeds.
	if resp, body := h.exchange(backendClient, tokenExchangeForm(at, AT, "audience", audienceB)); resp.StatusCode != http.StatusOK {
		t.Fatalf("control exchange: %d %v", resp.StatusCode, body)
	}

	// Expired subject: past the access token lifespan.
	h.clock.advance(DefaultAccessTokenLifespan + time.Minute)
	resp, body := h.exchange(backendClient, tokenExchangeForm(at, AT, "audience", audienceB))
	wantOAuthError(t, "§5.2 expired subject token", resp, body, http.StatusBadRequest, "invalid_grant")

	// A disabled user's live token (u2 signs in afresh) is refused.
	h.clock.advance(-DefaultAccessTokenLifespan - time.Minute)
	code, verifier = h.codeFor(h.agent(), backendClient, url.Values{"scope": {"openid"}}, loginAs("u2", "o1"))
	_, tb = h.token(backendClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {backendClient.redirect}, "code_verifier": {verifier}})
	u2AT := str(tb, "access_token")
	if u2AT == "" {
		t.Fatalf("u2's code exchange: %v", tb)
	}
	h.must("disable", h.store.UpdateUser(t.Context(), "u2", func(u storage.User) (storage.User, error) { u.Disabled = true; return u, nil }))
	resp, body = h.exchange(backendClient, tokenExchangeForm(u2AT, AT, "audience", audienceB))
	wantOAuthError(t, "§5.2 disabled user's token", resp, body, http.StatusBadRequest, "invalid_grant")
}
