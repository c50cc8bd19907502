package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ostiary/ostiary/storage"
)

// jwsHeader decodes a compact JWS's protected header.
func jwsHeader(t testing.TB, token string) map[string]any {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("header of %q: %v", token, err)
	}
	h := map[string]any{}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) setIDTokenAlg(clientID, alg string) {
	h.t.Helper()
	h.must("UpdateClient", h.store.UpdateClient(context.Background(), clientID, func(c storage.Client) (storage.Client, error) {
		c.IDTokenSignedResponseAlg = alg
		return c, nil
	}))
}

// A client that registered id_token_signed_response_alg (OpenID Connect
// Dynamic Client Registration §2) gets ID tokens signed with that alg, from
// the code exchange and from refreshes, which go-oidc verifies through the
// JWKS (OIDC Core §3.1.3.7 step 6), at_hash included (§3.1.3.6: SHA-512 for
// Ed25519). The access token stays RS256, and the ID token passes as
// id_token_hint.
func TestIDTokenSignedWithRegisteredAlg(t *testing.T) {
	t.Parallel()
	for alg, kid := range otherAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.setIDTokenAlg(appClient.id, alg)
			ctx := oidc.ClientContext(t.Context(), h.srv.Client())
			verifier := oidc.NewVerifier(h.issuer, oidc.NewRemoteKeySet(ctx, h.issuer+"/.well-known/jwks.json"),
				&oidc.Config{ClientID: appClient.id, SupportedSigningAlgs: []string{alg}})
			a := h.agent()
			a.signIn("u1", "")
			body := h.tokensFor(a, appClient)
			for round := range 2 {
				raw, at := str(body, "id_token"), str(body, "access_token")
				if hd := jwsHeader(t, raw); hd["alg"] != alg || hd["kid"] != kid || hd["typ"] != "JWT" {
					t.Fatalf("round %d: ID token header %v, want alg %s kid %s", round, hd, alg, kid)
				}
				idt, err := verifier.Verify(ctx, raw)
				if err != nil {
					t.Fatalf("round %d: go-oidc Verify: %v", round, err)
				}
				if err := idt.VerifyAccessToken(at); err != nil {
					t.Errorf("round %d: at_hash: %v", round, err)
				}
				if hd := jwsHeader(t, at); hd["alg"] != "RS256" || hd["typ"] != "at+jwt" {
					t.Errorf("round %d: access token header %v, want RS256 at+jwt", round, hd)
				}
				hint, err := h.s.VerifyIDTokenHint(ctx, raw)
				if err != nil || hint.Subject != "u1" || hint.ClientID != appClient.id {
					t.Errorf("round %d: id_token_hint: %+v %v", round, hint, err)
				}
				resp, next := h.refresh(appClient, str(body, "refresh_token"))
				if resp.StatusCode != 200 {
					t.Fatalf("refresh: %d %v", resp.StatusCode, next)
				}
				body = next
			}
			// Other clients keep RS256.
			b := h.agent()
			b.signIn("u1", "")
			if hd := jwsHeader(t, str(h.tokensFor(b, thirdClientFirstParty(h)), "id_token")); hd["alg"] != "RS256" {
				t.Errorf("a client without the setting got an ID token signed %v", hd["alg"])
			}
		})
	}
}

// thirdClientFirstParty is the third client made first-party, so its flow
// needs no consent page.
func thirdClientFirstParty(h *harness) testClient {
	h.must("UpdateClient", h.store.UpdateClient(context.Background(), thirdClient.id, func(c storage.Client) (storage.Client, error) {
		c.FirstParty = true
		return c, nil
	}))
	return thirdClient
}

// A token whose header names another alg than its key's is refused: no
// algorithm confusion between the lanes (RFC 8725 §3.1).
func TestDecodeRefusesAlgOfAnotherKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setIDTokenAlg(appClient.id, "ES256")
	a := h.agent()
	a.signIn("u1", "")
	raw := str(h.tokensFor(a, appClient), "id_token")
	parts := strings.Split(raw, ".")
	// The same signature under a header claiming the Ed25519 key's kid.
	hd, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "d1", "typ": "JWT"})
	forged := base64.RawURLEncoding.EncodeToString(hd) + "." + parts[1] + "." + parts[2]
	if _, err := h.s.VerifyIDTokenHint(t.Context(), forged); err == nil {
		t.Error("an ES256 token naming the EdDSA key verified")
	}
	if _, err := h.s.VerifyIDTokenHint(t.Context(), raw); err != nil {
		t.Errorf("the genuine ES256 token: %v", err)
	}
}

// tokens.access_token_alg signs access tokens with ES256 or EdDSA; they
// verify through the JWKS, introspect active and open userinfo.
func TestAccessTokenAlgSetting(t *testing.T) {
	t.Parallel()
	for alg, kid := range otherAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.AccessTokenAlg = alg })
			_, body := h.token(svcClient, map[string][]string{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
			at := str(body, "access_token")
			if hd := jwsHeader(t, at); hd["alg"] != alg || hd["kid"] != kid || hd["typ"] != "at+jwt" {
				t.Fatalf("access token header %v", hd)
			}
			if got := h.introspect(at); got["active"] != true {
				t.Errorf("introspection of an %s access token: %v", alg, got)
			}
		})
	}
	if _, err := New(withLifespans(Config{Issuer: "https://id.example.com", HMACSecret: make([]byte, 32), AccessTokenAlg: "HS256"}),
		Deps{Store: openSQLite(t), Keys: newFakeKeys(), Browser: &fakeBrowser{}, Pages: &fakePages{}}); err == nil {
		t.Error("AccessTokenAlg HS256 accepted")
	}
}
