package oauth

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// cliClient is a public client registered for the token exchange, as a
// command-line tool would be; cliConfClient a confidential one.
var (
	cliClient     = testClient{"cli", "", "", false}
	cliConfClient = testClient{"cliconf", "cliconf-secret-0123456789abcdefghijklmnopq", "", false}
)

func (h *harness) exchangeClients() {
	h.t.Helper()
	now := h.clock.Now()
	for _, c := range []storage.Client{
		{ID: cliClient.id, Name: "CLI", Public: true, GrantTypes: []string{GrantTypeTokenExchange},
			Scopes: []string{"openid", "profile", "api:read"}, Audiences: []string{apiAudience}, TokenEndpointAuthMethod: "none"},
		{ID: cliConfClient.id, SecretHash: randtoken.Hash(cliConfClient.secret), Name: "CLI (confidential)",
			GrantTypes: []string{GrantTypeTokenExchange}, Scopes: []string{"openid"}, TokenEndpointAuthMethod: "client_secret_basic"},
	} {
		c.ResponseTypes = []string{"code"}
		c.CreatedAt, c.UpdatedAt = now, now
		h.must("CreateClient", h.store.CreateClient(context.Background(), c))
	}
}

// newPAT stores a personal access token for userID, made in a session that
// signed in with amr (none: a password), and returns it.
func (h *harness) newPAT(userID string, scopes []string, expires time.Time, amr ...string) (string, storage.PAT) {
	h.t.Helper()
	token, hash := pat.New()
	p := storage.PAT{ID: randtoken.ID(), UserID: userID, Name: "script", TokenHash: hash, Scopes: scopes,
		CreatedAt: h.clock.Now(), ExpiresAt: expires, AMR: amr}
	h.must("CreatePAT", h.store.CreatePAT(context.Background(), p))
	return token, p
}

// exchangeForm is a token exchange of a PAT; extra are name, value pairs
// (tokenExchangeForm).
func exchangeForm(token string, extra ...string) url.Values {
	return tokenExchangeForm(token, pat.TokenType, extra...)
}

func TestPATExchange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	token, p := h.newPAT("u1", []string{"openid", "profile", "api:read"}, time.Time{})

	resp, body := h.token(cliClient, exchangeForm(token, "scope", "openid api:read"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	// RFC 8693 §2.2.1: issued_token_type and token_type; no refresh token.
	if str(body, "issued_token_type") != TokenTypeAccessToken || str(body, "token_type") != "Bearer" ||
		str(body, "scope") != "openid api:read" || body["refresh_token"] != nil {
		t.Fatalf("exchange response: %v", body)
	}
	if in, _ := body["expires_in"].(float64); in <= 0 || in > DefaultPATExchangeLifespan.Seconds()+1 {
		t.Errorf("expires_in = %v, want at most %v", body["expires_in"], DefaultPATExchangeLifespan)
	}
	at := str(body, "access_token")
	typ, claims := h.accessClaims(at)
	aud, _ := claims["aud"].([]any)
	if typ != "at+jwt" || claims["sub"] != "u1" || claims["client_id"] != cliClient.id || claims["scope"] != "openid api:read" ||
		len(aud) != 1 || aud[0] != apiAudience || claims["iss"] != h.issuer {
		t.Fatalf("access token %s %v", typ, claims)
	}
	// u1's only membership gives the organization claims.
	if claims["org_id"] != "o1" || claims["org_name"] != "Acme" || claims["org_role"] != "admin" {
		t.Errorf("organization claims: %v", claims)
	}
	if in := h.introspect(at); in["active"] != true || in["sub"] != "u1" {
		t.Errorf("exchanged token introspection: %v", in)
	}
	// The record keeps no trace of the PAT (only hashes of secrets are stored).
	rec, err := h.store.GetToken(context.Background(), storage.KindAccessToken, fositestore.SigKey(at))
	if err != nil || rec.RequestID != pat.RequestID(p.ID) || strings.Contains(rec.Form, token) || strings.Contains(string(rec.Session), token) {
		t.Errorf("access token record: %+v %v", rec, err)
	}
	stored, err := h.store.ListPATsByUser(context.Background(), "u1")
	if err != nil || len(stored) != 1 || stored[0].LastUsedAt.IsZero() {
		t.Errorf("last use not recorded: %+v %v", stored, err)
	}

	// Introspection of the PAT itself (RFC 7662 §2.2).
	in := h.introspect(token)
	if in["active"] != true || in["sub"] != "u1" || in["scope"] != "openid profile api:read" ||
		in["token_type"] != pat.TokenType || in["exp"] != nil {
		t.Errorf("PAT introspection: %v", in)
	}

	// A confidential client must authenticate.
	resp, body = h.postForm("/oauth2/token", exchangeForm(token, "scope", "openid", "client_id", cliConfClient.id), "", "")
	wantOAuthError(t, "confidential client without its secret", resp, body, http.StatusUnauthorized, "invalid_client")
	resp, body = h.token(cliConfClient, exchangeForm(token, "scope", "openid"))
	if resp.StatusCode != http.StatusOK || str(body, "scope") != "openid" {
		t.Errorf("confidential exchange: %d %v", resp.StatusCode, body)
	}

	// Revoking the PAT: the exchange fails, both the PAT and the tokens
	// exchanged for it introspect inactive (the web page does the latter).
	h.must("DeletePAT", h.store.DeletePAT(context.Background(), "u1", p.ID))
	_, err = h.store.DeactivateTokens(context.Background(), storage.TokenFilter{Subject: "u1", RequestID: pat.RequestID(p.ID)})
	h.must("DeactivateTokens", err)
	resp, body = h.token(cliClient, exchangeForm(token))
	wantOAuthError(t, "revoked PAT", resp, body, http.StatusBadRequest, "invalid_grant")
	if in := h.introspect(token); in["active"] != false || len(in) != 1 {
		t.Errorf("revoked PAT introspection: %v", in)
	}
	if in := h.introspect(at); in["active"] != false {
		t.Errorf("token exchanged for a revoked PAT: %v", in)
	}
}

func TestPATExchangeExpiryAndOrganizations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	// The exchanged token never outlives the PAT.
	exp := h.clock.Now().Add(5 * time.Minute).Truncate(time.Second)
	token, _ := h.newPAT("u2", []string{"openid"}, exp)
	resp, body := h.token(cliClient, exchangeForm(token))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	_, claims := h.accessClaims(str(body, "access_token"))
	if e, _ := claims["exp"].(float64); math.Abs(e-float64(exp.Unix())) > 1 {
		t.Errorf("exp = %v, want the PAT's expiry %d", claims["exp"], exp.Unix())
	}
	// u2 is in two organizations and the client is bound to none: no
	// organization can be chosen, so the token carries none.
	if claims["org_id"] != nil {
		t.Errorf("organization claims with two memberships: %v", claims)
	}
	if in := h.introspect(token); in["exp"] != float64(exp.Unix()) {
		t.Errorf("PAT introspection exp: %v", in)
	}
	// A client bound to an organization gives that one, to members only.
	bound := storage.Client{ID: "globex-cli", Name: "Globex CLI", Public: true, GrantTypes: []string{GrantTypeTokenExchange},
		Scopes: []string{"openid"}, TokenEndpointAuthMethod: "none", OrgID: "o2", ResponseTypes: []string{"code"},
		CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now()}
	h.must("CreateClient", h.store.CreateClient(context.Background(), bound))
	globex := testClient{id: bound.ID}
	resp, body = h.token(globex, exchangeForm(token))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange through a bound client: %d %v", resp.StatusCode, body)
	}
	if _, c := h.accessClaims(str(body, "access_token")); c["org_id"] != "o2" || c["org_role"] != "owner" {
		t.Errorf("bound client's organization claims: %v", c)
	}
	u1Token, _ := h.newPAT("u1", []string{"openid"}, time.Time{})
	resp, body = h.token(globex, exchangeForm(u1Token))
	wantOAuthError(t, "not a member of the client's organization", resp, body, http.StatusBadRequest, "invalid_grant")

	h.clock.advance(6 * time.Minute)
	resp, body = h.token(cliClient, exchangeForm(token))
	wantOAuthError(t, "expired PAT", resp, body, http.StatusBadRequest, "invalid_grant")
	if in := h.introspect(token); in["active"] != false {
		t.Errorf("expired PAT introspection: %v", in)
	}
}

// TestPATExchangeOrgRequiresMFA: a token exchange for an organization that
// requires a second factor needs a personal access token made in a session
// that had one, as a refresh does (TestRefreshOrgRequiresMFA); a token for
// no organization is not affected.
func TestPATExchangeOrgRequiresMFA(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	ctx := t.Context()
	setRequire := func(org string, on bool) {
		t.Helper()
		h.must("require mfa", h.store.UpdateOrg(ctx, org, func(o storage.Organization) (storage.Organization, error) {
			o.RequireMFA = on
			return o, nil
		}))
	}
	pwdToken, _ := h.newPAT("u1", []string{"openid"}, time.Time{}, "pwd")
	otpToken, _ := h.newPAT("u1", []string{"openid"}, time.Time{}, "pwd", "otp")
	setRequire("o1", true)
	// u1's only membership is o1.
	resp, body := h.token(cliClient, exchangeForm(pwdToken))
	wantOAuthError(t, "PAT without a second factor for an organization requiring one", resp, body, http.StatusBadRequest, "invalid_grant")
	if d := str(body, "error_description"); !strings.Contains(d, "requires two-factor sign-in") {
		t.Errorf("error_description %q does not say why", d)
	}
	resp, body = h.token(cliClient, exchangeForm(otpToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PAT made with a second factor: %d %v", resp.StatusCode, body)
	}
	if _, c := h.accessClaims(str(body, "access_token")); c["org_id"] != "o1" {
		t.Errorf("organization claims: %v", c)
	}

	// u2 has two memberships: through a client bound to o2 the token is for
	// o2 and refused; through an unbound one it is for no organization.
	bound := storage.Client{ID: "globex-cli", Name: "Globex CLI", Public: true, GrantTypes: []string{GrantTypeTokenExchange},
		Scopes: []string{"openid"}, TokenEndpointAuthMethod: "none", OrgID: "o2", ResponseTypes: []string{"code"},
		CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now()}
	h.must("CreateClient", h.store.CreateClient(ctx, bound))
	u2Token, _ := h.newPAT("u2", []string{"openid"}, time.Time{})
	setRequire("o2", true)
	resp, body = h.token(testClient{id: bound.ID}, exchangeForm(u2Token))
	wantOAuthError(t, "PAT through a client bound to an organization requiring MFA", resp, body, http.StatusBadRequest, "invalid_grant")
	resp, body = h.token(cliClient, exchangeForm(u2Token))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PAT for no organization: %d %v", resp.StatusCode, body)
	}

	setRequire("o1", false)
	if resp, body := h.token(cliClient, exchangeForm(pwdToken)); resp.StatusCode != http.StatusOK {
		t.Fatalf("PAT after the requirement was turned off: %d %v", resp.StatusCode, body)
	}
}

// TestPATExchangeRejects covers the refusals of RFC 8693: §2.1 (required
// parameters, scope that may only narrow), §2.2.2 (invalid_request for a
// bad request or subject token type, invalid_target for an audience) and
// RFC 6749 §5.2 (invalid_grant for a dead PAT, unauthorized_client,
// invalid_scope).
func TestPATExchangeRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	token, _ := h.newPAT("u1", []string{"openid", "api:write"}, time.Time{})
	unknown, _ := pat.New()
	ctx := context.Background()
	disabledToken, _ := h.newPAT("u2", []string{"openid"}, time.Time{})
	h.must("disable", h.store.UpdateUser(ctx, "u2", func(u storage.User) (storage.User, error) { u.Disabled = true; return u, nil }))

	for _, tc := range []struct {
		name   string
		client testClient
		form   url.Values
		status int
		code   string
	}{
		{"§2.1 subject_token missing", cliClient, exchangeForm("", "subject_token", ""), 400, "invalid_request"},
		{"§2.1 subject_token_type missing", cliClient, exchangeForm(token, "subject_token_type", ""), 400, "invalid_request"},
		{"§2.2.2 subject_token_type of an access token", cliClient,
			exchangeForm(token, "subject_token_type", "urn:ietf:params:oauth:token-type:access_token"), 400, "invalid_request"},
		{"§2.1 actor_token (delegation)", cliClient,
			exchangeForm(token, "actor_token", token, "actor_token_type", pat.TokenType), 400, "invalid_request"},
		{"§2.1 requested_token_type refresh token", cliClient,
			exchangeForm(token, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"), 400, "invalid_request"},
		{"§2.1 scope widening the PAT", cliClient, exchangeForm(token, "scope", "openid profile"), 400, "invalid_scope"},
		{"scope on the PAT but not the client's", cliClient, exchangeForm(token, "scope", "api:write"), 400, "invalid_scope"},
		{"§2.2.2 audience not registered", cliClient,
			exchangeForm(token, "scope", "openid", "audience", "https://other.example"), 400, "invalid_target"},
		{"§2.2.2 resource not registered", cliClient,
			exchangeForm(token, "scope", "openid", "resource", "https://other.example/api"), 400, "invalid_target"},
		{"unknown PAT", cliClient, exchangeForm(unknown), 400, "invalid_grant"},
		{"not a PAT at all", cliClient, exchangeForm("ey.not.a.pat"), 400, "invalid_grant"},
		{"disabled person", cliClient, exchangeForm(disabledToken), 400, "invalid_grant"},
		{"client not registered for the grant", appClient, exchangeForm(token, "scope", "openid"), 400, "unauthorized_client"},
		// fosite answers a request naming no client with invalid_request.
		{"no client at all", testClient{}, exchangeForm(token, "scope", "openid"), 400, "invalid_request"},
	} {
		var resp *http.Response
		var body map[string]any
		if tc.client.id == "" {
			resp, body = h.postForm("/oauth2/token", tc.form, "", "")
		} else {
			resp, body = h.token(tc.client, tc.form)
		}
		if resp.StatusCode != tc.status || str(body, "error") != tc.code {
			t.Errorf("%s: got %d %v, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
		if strings.Contains(str(body, "error_description"), token) {
			t.Errorf("%s: the error repeats the token", tc.name)
		}
	}
	// Nothing was recorded as a use.
	ps, err := h.store.ListPATsByUser(ctx, "u1")
	if err != nil || !ps[0].LastUsedAt.IsZero() {
		t.Errorf("refused exchanges touched the PAT: %+v %v", ps, err)
	}
}

// revokingStore revokes the PAT right after the exchange has looked it up,
// as a user clicking Revoke at that moment would.
type revokingStore struct {
	storage.Store
}

func (s revokingStore) GetPATByHash(ctx context.Context, hash []byte, now time.Time) (storage.PAT, error) {
	p, err := s.Store.GetPATByHash(ctx, hash, now)
	if err == nil {
		if err := s.Store.DeletePAT(ctx, p.UserID, p.ID); err != nil {
			return p, err
		}
		if _, err := s.Store.DeactivateTokens(ctx, storage.TokenFilter{Subject: p.UserID, RequestID: pat.RequestID(p.ID)}); err != nil {
			return p, err
		}
	}
	return p, err
}

// TestPATExchangeRevokedMeanwhile: a PAT revoked while its exchange runs
// yields no usable token, though the revocation's deactivation ran before
// the token was stored.
func TestPATExchangeRevokedMeanwhile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	token, p := h.newPAT("u1", []string{"openid"}, time.Time{})
	s, err := New(withLifespans(Config{Issuer: h.issuer, HMACSecret: bytes.Repeat([]byte("k"), 32)}),
		Deps{Store: revokingStore{h.store}, Keys: h.keys, Browser: h.browser, Pages: h.pages, Now: h.clock.Now})
	h.must("New", err)
	form := exchangeForm(token)
	form.Set("client_id", cliClient.id)
	r := httptest.NewRequest(http.MethodPost, h.issuer+"/oauth2/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.Token(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"invalid_grant"`) {
		t.Fatalf("exchange of a PAT revoked meanwhile: %d %s", w.Code, w.Body)
	}
	n, err := h.store.DeactivateTokens(context.Background(), storage.TokenFilter{Subject: "u1", RequestID: pat.RequestID(p.ID)})
	if err != nil || n != 0 {
		t.Fatalf("an active token of the revoked PAT is left: %d %v", n, err)
	}

	// Control: without the revocation the same check finds the token.
	token, p = h.newPAT("u1", []string{"openid"}, time.Time{})
	if resp, body := h.token(cliClient, exchangeForm(token)); resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, body)
	}
	if n, err := h.store.DeactivateTokens(context.Background(), storage.TokenFilter{Subject: "u1", RequestID: pat.RequestID(p.ID)}); err != nil || n != 1 {
		t.Fatalf("exchanged tokens of a live PAT: %d %v", n, err)
	}
}
