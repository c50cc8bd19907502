package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

// Access token records are keyed by the whole token, so introspection may
// trust the record without verifying the signature; a token that is not
// byte for byte the issued one must never be active.

// forged returns token with its payload's subject replaced and its header
// and signature segments kept: what a holder of a genuine token could make.
func forged(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("payload: %v", err)
	}
	claims["sub"] = "someone-else"
	claims["scope"] = "api:read api:write admin"
	raw, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func clientCredentialsToken(t *testing.T, h *harness) string {
	t.Helper()
	resp, body := h.token(svcClient, ccForm())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	return str(body, "access_token")
}

func TestIntrospectForgedPayloadIsInactive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	at := clientCredentialsToken(t, h)
	if in := h.introspect(at); in["active"] != true || in["sub"] != svcClient.id {
		t.Fatalf("genuine token: %v", in)
	}
	if in := h.introspect(forged(t, at)); in["active"] != false {
		t.Errorf("forged payload with a genuine signature: %v, want inactive", in)
	}
	// Userinfo answers from the same lookup.
	resp, _ := h.postForm("/oauth2/userinfo", url.Values{"access_token": {forged(t, at)}}, "", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with a forged token: %d, want 401", resp.StatusCode)
	}
}

// TestAccessTokenRecordKeyedBySignature covers records written before access
// tokens were keyed by the whole token: they still introspect, revoke and
// rotate, and get the full signature verification.
func TestAccessTokenRecordKeyedBySignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	rekey := func(token string) {
		t.Helper()
		rec, err := h.store.GetToken(ctx, storage.KindAccessToken, fositestore.SigKey(token))
		h.must("get record", err)
		h.must("delete record", h.store.DeleteToken(ctx, storage.KindAccessToken, rec.Signature))
		rec.Signature = fositestore.SigKey(token[strings.LastIndexByte(token, '.')+1:])
		h.must("re-create record", h.store.CreateToken(ctx, rec))
	}

	at := clientCredentialsToken(t, h)
	rekey(at)
	if in := h.introspect(at); in["active"] != true || in["sub"] != svcClient.id {
		t.Fatalf("token with an old-style record: %v", in)
	}
	if in := h.introspect(forged(t, at)); in["active"] != false {
		t.Errorf("forged payload on an old-style record: %v, want inactive", in)
	}
	resp, body := h.postForm("/oauth2/revoke", url.Values{"token": {at}}, svcClient.id, svcClient.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %v", resp.StatusCode, body)
	}
	if in := h.introspect(at); in["active"] != false {
		t.Errorf("revoked old-style token: %v, want inactive", in)
	}

	// A refresh token issued with an old-style access token ends that token
	// when it is rotated.
	a := h.agent()
	a.signIn("u1", "")
	tokens := h.tokensFor(a, appClient)
	old := str(tokens, "access_token")
	rekey(old)
	if in := h.introspect(old); in["active"] != true {
		t.Fatalf("old-style access token before the refresh: %v", in)
	}
	// The refresh record names its access token by the new-style key; point
	// it at the old-style one, as a record written before would.
	rt := str(tokens, "refresh_token")
	rrec, err := h.store.GetToken(ctx, storage.KindRefreshToken, fositestore.SigKey(h.s.strategy.RefreshTokenSignature(ctx, rt)))
	h.must("get refresh record", err)
	h.must("delete refresh record", h.store.DeleteToken(ctx, storage.KindRefreshToken, rrec.Signature))
	rrec.AccessSignature = fositestore.SigKey(old[strings.LastIndexByte(old, '.')+1:])
	h.must("re-create refresh record", h.store.CreateToken(ctx, rrec))
	resp, body = h.token(appClient, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, body)
	}
	if in := h.introspect(old); in["active"] != false {
		t.Errorf("old-style access token after its refresh token rotated: %v, want inactive", in)
	}
	if in := h.introspect(str(body, "access_token")); in["active"] != true {
		t.Errorf("new access token: %v", in)
	}
}

// TestCodeExchangeRecordsWritten: in a code exchange the access token's
// record is written with the refresh token's (one statement), or alone at
// commit when no refresh token is issued; either way both introspect.
func TestCodeExchangeRecordsWritten(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarnessOn(t, be.open(t))
			a := h.agent()
			a.signIn("u1", "")
			for _, scope := range []string{"openid offline_access", "openid"} {
				code, verifier := h.codeFor(a, appClient, url.Values{"scope": {scope}}, noPages)
				resp, body := h.token(appClient, url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {appRedirect}, "code_verifier": {verifier}})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: code exchange: %d %v", scope, resp.StatusCode, body)
				}
				if in := h.introspect(str(body, "access_token")); in["active"] != true {
					t.Errorf("%s: access token: %v", scope, in)
				}
				rt, _ := body["refresh_token"].(string)
				if (rt != "") != strings.Contains(scope, "offline_access") {
					t.Fatalf("%s: refresh token %q", scope, rt)
				}
				if rt != "" {
					if in := h.introspect(rt); in["active"] != true {
						t.Errorf("%s: refresh token: %v", scope, in)
					}
				}
			}
		})
	}
}
