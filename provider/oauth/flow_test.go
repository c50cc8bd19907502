package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

func s256(verifier string) string { return oauth2.S256ChallengeFromVerifier(verifier) }

// accessClaims verifies an access token as a resource server would (JWKS,
// RS256) and returns its header type and claims.
func (h *harness) accessClaims(token string) (string, map[string]any) {
	h.t.Helper()
	parsed, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		h.t.Fatalf("parse access token: %v", err)
	}
	pub, err := h.keys.PublicKey(context.Background(), parsed.Headers[0].KeyID)
	if err != nil {
		h.t.Fatalf("access token kid: %v", err)
	}
	claims := map[string]any{}
	if err := parsed.Claims(pub, &claims); err != nil {
		h.t.Fatalf("verify access token: %v", err)
	}
	typ, _ := parsed.Headers[0].ExtraHeaders["typ"].(string)
	return typ, claims
}

// TestCodeFlowEndToEnd drives the authorization code flow with PKCE
// (RFC 6749 §4.1, RFC 7636) through the handlers with golang.org/x/oauth2
// as the client, and verifies the ID token with go-oidc (OIDC Core §3.1.3.7).
func TestCodeFlowEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := oidc.ClientContext(t.Context(), h.srv.Client())
	conf := oauth2.Config{
		ClientID: appClient.id, ClientSecret: appClient.secret, RedirectURL: appRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: h.issuer + "/oauth2/authorize", TokenURL: h.issuer + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}
	verifier := oauth2.GenerateVerifier()
	const state, nonce = "state-e2e-0123456789", "nonce-e2e-0123456789"
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce),
		oauth2.SetAuthURLParam("login_hint", "alice@example.com"), oauth2.SetAuthURLParam("unknown_param", "ignored"))

	a := h.agent()
	var parkedForm url.Values
	loc, seen := a.follow(authURL, func(a *agent, path, id string) {
		if path == PathLogin {
			ar, err := h.store.GetAuthRequest(t.Context(), id, h.clock.Now())
			h.must("GetAuthRequest", err)
			parkedForm, _ = url.ParseQuery(ar.Form)
		}
		loginAs("u1", "")(a, path, id)
	})
	if !slices.Equal(seen, []string{PathLogin}) {
		t.Fatalf("pages %v, want only the login page (first-party client, one organization)", seen)
	}
	if parkedForm.Get("login_hint") != "alice@example.com" || parkedForm.Get("code_challenge") == "" {
		t.Errorf("parked form %v lacks login_hint or code_challenge", parkedForm)
	}
	// RFC 6749 §4.1.2: state comes back; RFC 9207 §2: so does iss.
	if loc.Query().Get("state") != state || loc.Query().Get("iss") != h.issuer {
		t.Fatalf("callback %s: want state %q and iss %q", loc, state, h.issuer)
	}

	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.TokenType != "bearer" && tok.TokenType != "Bearer" {
		t.Fatalf("token response %+v: want a refresh token (offline_access) and type bearer", tok)
	}

	provider, err := oidc.NewProvider(ctx, h.issuer)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: appClient.id}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != nonce || idt.Subject != "u1" {
		t.Errorf("ID token nonce %q sub %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash (OIDC Core §3.1.3.8): %v", err)
	}
	var idc struct {
		SID      string   `json:"sid"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
		Email    string   `json:"email"`
		Verified bool     `json:"email_verified"`
		Name     string   `json:"name"`
		OrgID    string   `json:"org_id"`
		OrgName  string   `json:"org_name"`
		OrgRole  string   `json:"org_role"`
	}
	h.must("ID token claims", idt.Claims(&idc))
	if idc.SID == "" || !slices.Equal(idc.AMR, []string{"pwd"}) || idc.AuthTime == 0 || idc.Email != "alice@example.com" ||
		!idc.Verified || idc.Name != "Alice" || idc.OrgID != "o1" || idc.OrgName != "Acme" || idc.OrgRole != "admin" {
		t.Errorf("ID token claims %+v", idc)
	}

	// RFC 9068 §2: the access token is a JWT a resource server verifies
	// offline.
	typ, at := h.accessClaims(tok.AccessToken)
	if typ != "at+jwt" {
		t.Errorf("access token typ %q, want at+jwt (RFC 9068 §2.1)", typ)
	}
	aud, _ := at["aud"].([]any)
	if at["iss"] != h.issuer || at["sub"] != "u1" || at["client_id"] != appClient.id || len(aud) != 1 || aud[0] != apiAudience ||
		at["scope"] != "openid profile email offline_access" || at["jti"] == nil || at["exp"] == nil || at["iat"] == nil ||
		at["org_id"] != "o1" || at["org_name"] != "Acme" || at["org_role"] != "admin" {
		t.Errorf("access token claims %v", at)
	}

	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	var uic map[string]any
	h.must("userinfo claims", ui.Claims(&uic))
	if ui.Subject != "u1" || ui.Email != "alice@example.com" || uic["org_role"] != "admin" || uic["name"] != "Alice" {
		t.Errorf("userinfo %+v %v", ui, uic)
	}

	in := h.introspect(tok.AccessToken)
	if in["active"] != true || in["sub"] != "u1" || in["client_id"] != appClient.id || in["iss"] != h.issuer ||
		in["token_type"] != "Bearer" || in["org_id"] != "o1" || in["scope"] != "openid profile email offline_access" {
		t.Errorf("introspection %v", in)
	}

	// Refresh (RFC 6749 §6) through x/oauth2: a new access and refresh
	// token; the ID token is for the client and carries no nonce.
	expired := *tok
	expired.Expiry = h.clock.Now().Add(-1)
	tok2, err := conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
		t.Fatal("refresh must rotate both tokens")
	}
	rawID2, _ := tok2.Extra("id_token").(string)
	idt2, err := provider.Verifier(&oidc.Config{ClientID: appClient.id}).Verify(ctx, rawID2)
	if err != nil {
		t.Fatalf("verify refreshed ID token: %v", err)
	}
	if idt2.Nonce != "" || !slices.Equal(idt2.Audience, []string{appClient.id}) || idt2.Subject != "u1" {
		t.Errorf("refreshed ID token nonce %q aud %v (ory/fosite#530)", idt2.Nonce, idt2.Audience)
	}
	if resp, _ := h.postForm("/oauth2/userinfo", url.Values{"access_token": {tok2.AccessToken}}, "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("userinfo with the token in a POST body (RFC 6750 §2.2): %d", resp.StatusCode)
	}
}
