package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite/token/jwt"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

func kidOf(t testing.TB, token string) string {
	t.Helper()
	p, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p.Headers[0].KeyID
}

// TestKeyRotation: kid always names the key that signed, also for a grant
// whose session was stored before the rotation (ory/hydra#3573); tokens
// signed by a key rotated out of signing still verify while it is published.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.agent()
	a.signIn("u1", "")
	tokens := h.tokensFor(a, appClient)
	if kidOf(t, str(tokens, "id_token")) != "k1" || kidOf(t, str(tokens, "access_token")) != "k1" {
		t.Fatal("tokens not signed by k1")
	}
	h.keys.rotate("k2")
	_, next := h.refresh(appClient, str(tokens, "refresh_token"))
	if kidOf(t, str(next, "id_token")) != "k2" || kidOf(t, str(next, "access_token")) != "k2" {
		t.Error("refreshed tokens must name the new signing key")
	}
	hint, err := h.s.VerifyIDTokenHint(t.Context(), str(tokens, "id_token"))
	if err != nil || hint.Subject != "u1" || hint.ClientID != appClient.id || hint.SessionID == "" || hint.Expired {
		t.Fatalf("hint signed by the retired key: %+v %v", hint, err)
	}
	if in := h.introspect(str(next, "access_token")); in["active"] != true {
		t.Error("introspection of a token signed by the new key")
	}
	h.keys.unpublish("k1")
	if _, err := h.s.VerifyIDTokenHint(t.Context(), str(tokens, "id_token")); !errors.Is(err, ErrInvalidIDTokenHint) {
		t.Errorf("hint signed by an unpublished key: %v", err)
	}
}

// TestVerifyIDTokenHint: for logout (OIDC RP-Initiated Logout §2) an
// expired ID token is a valid hint; anything not an ID token of ours is not.
func TestVerifyIDTokenHint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	sign := func(claims map[string]any, typ string) string {
		tok, _, err := h.s.signer.Generate(ctx, claims, &jwt.Headers{Extra: map[string]any{"typ": typ}})
		h.must("sign", err)
		return tok
	}
	now := time.Now()
	base := func() map[string]any {
		return map[string]any{"iss": h.issuer, "sub": "u1", "aud": []string{"app"}, "sid": "s1",
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
	}
	hint, err := h.s.VerifyIDTokenHint(ctx, sign(base(), "JWT"))
	if err != nil || !hint.Expired || hint.Subject != "u1" || hint.SessionID != "s1" || hint.ClientID != "app" || hint.ExpiresAt.IsZero() {
		t.Fatalf("expired hint: %+v %v", hint, err)
	}
	other := base()
	other["iss"] = "https://other.example"
	noSub := base()
	delete(noSub, "sub")
	future := base()
	future["iat"] = now.Add(time.Hour).Unix()
	logout := base()
	logout["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}
	foreignKey, err := rsa.GenerateKey(rand.Reader, 2048)
	h.must("GenerateKey", err)
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: foreignKey, KeyID: "k1"}}, nil)
	forged, _ := josejwt.Signed(sig).Claims(base()).Serialize()
	for name, raw := range map[string]string{
		"access token":        sign(base(), fositestore.TypAccessToken),
		"logout token":        sign(logout, "logout+jwt"),
		"logout token as JWT": sign(logout, "JWT"),
		"other issuer":        sign(other, "JWT"),
		"no subject":          sign(noSub, "JWT"),
		"issued in future":    sign(future, "JWT"),
		"forged with our kid": forged,
		"unsigned":            "eyJhbGciOiJub25lIiwia2lkIjoiazEifQ.eyJzdWIiOiJ1MSJ9.",
		"garbage":             "x",
	} {
		if _, err := h.s.VerifyIDTokenHint(ctx, raw); !errors.Is(err, ErrInvalidIDTokenHint) {
			t.Errorf("%s: %v, want ErrInvalidIDTokenHint", name, err)
		}
	}
}

// TestSignerIgnoresSessionKid: a kid or alg in the header fosite passes
// (from a stored session) never reaches the token.
func TestSignerIgnoresSessionKid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok, sig, err := h.s.signer.Generate(t.Context(), jwt.MapClaims{"sub": "x"}, &jwt.Headers{Extra: map[string]any{"kid": "stale", "alg": "none"}})
	h.must("Generate", err)
	if kidOf(t, tok) != "k1" || !strings.HasSuffix(tok, "."+sig) {
		t.Errorf("kid %q, signature %q", kidOf(t, tok), sig)
	}
	if _, err := h.s.signer.Decode(t.Context(), tok); err != nil {
		t.Errorf("Decode: %v", err)
	}
}

// TestPrivateKeyJWT: client authentication with a signed assertion
// (RFC 7523 §2.2, OIDC Core §9), used once.
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	h.must("GenerateKey", err)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "c1", Algorithm: "RS256"}}})
	now := h.clock.Now()
	h.must("CreateClient", h.store.CreateClient(context.Background(), storage.Client{
		ID: "pkj", Name: "PKJ", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
		ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "private_key_jwt", JWKS: jwks, CreatedAt: now, UpdatedAt: now,
	}))
	assertion := func(aud string) string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "c1"}}, nil)
		tok, err := josejwt.Signed(sig).Claims(map[string]any{"iss": "pkj", "sub": "pkj", "aud": aud, "jti": time.Now().String(),
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}).Serialize()
		h.must("sign assertion", err)
		return tok
	}
	form := func(a string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	}
	good := assertion(h.issuer + "/oauth2/token")
	resp, body := h.postForm("/oauth2/token", form(good), "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("private_key_jwt: %d %v", resp.StatusCode, body)
	}
	resp, body = h.postForm("/oauth2/token", form(good), "", "")
	wantOAuthError(t, "replayed assertion (RFC 7523 §3)", resp, body, http.StatusBadRequest, "jti_known")
	resp, body = h.postForm("/oauth2/token", form(assertion("https://other.example/token")), "", "")
	wantOAuthError(t, "assertion for another audience", resp, body, http.StatusUnauthorized, "invalid_client")
	resp, body = h.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"pkj"}, "client_secret": {"x"}}, "", "")
	wantOAuthError(t, "secret for a private_key_jwt client", resp, body, http.StatusUnauthorized, "invalid_client")
}

func TestNewValidatesEverything(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Issuer: "not a url", HMACSecret: []byte("short"), AccessTokenLifespan: -1}, Deps{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"issuer", "HMAC secret", "access token lifespan", "Store", "Keys", "Browser", "Pages"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
