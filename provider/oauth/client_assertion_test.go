package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/ostiary/ostiary/storage"
)

// TestPrivateKeyJWTRefusals: an assertion that is expired, not yet valid
// or issued in the future, and a client whose jwks_uri cannot be reached,
// are failed client authentications: 401 invalid_client (RFC 7523 §3
// items 4-6, RFC 6749 §5.2), never a 500. Assertions are built with
// go-jose v4 as a client would.
func TestPrivateKeyJWTRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	h.must("GenerateKey", err)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "c1", Algorithm: "RS256"}}})
	// A loopback port nobody listens on any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	h.must("Listen", err)
	closed := "http://" + l.Addr().String() + "/jwks.json"
	h.must("Close", l.Close())
	now := h.clock.Now()
	for _, c := range []storage.Client{
		{ID: "pkj", JWKS: jwks},
		{ID: "pkj-uri", JWKSURI: closed},
	} {
		c.Name, c.GrantTypes, c.Scopes, c.ResponseTypes = c.ID, []string{"client_credentials"}, []string{"api:read"}, []string{"code"}
		c.TokenEndpointAuthMethod, c.CreatedAt, c.UpdatedAt = "private_key_jwt", now, now
		h.must("CreateClient", h.store.CreateClient(context.Background(), c))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "c1"}}, nil)
	h.must("NewSigner", err)
	assertion := func(clientID string, iat, nbf, exp time.Time) string {
		t.Helper()
		claims := josejwt.Claims{
			Issuer: clientID, Subject: clientID, Audience: josejwt.Audience{h.issuer + "/oauth2/token"},
			ID: rand.Text(), IssuedAt: josejwt.NewNumericDate(iat), Expiry: josejwt.NewNumericDate(exp),
		}
		if !nbf.IsZero() {
			claims.NotBefore = josejwt.NewNumericDate(nbf)
		}
		tok, err := josejwt.Signed(signer).Claims(claims).Serialize()
		h.must("sign assertion", err)
		return tok
	}
	real := time.Now()
	both := []string{"/oauth2/token", "/oauth2/introspect"}
	for _, tc := range []struct {
		name, assertion string
		paths           []string
	}{
		{"expired", assertion("pkj", real.Add(-10*time.Minute), time.Time{}, real.Add(-5*time.Minute)), both},
		{"not yet valid", assertion("pkj", real, real.Add(5*time.Minute), real.Add(10*time.Minute)), both},
		{"issued in the future", assertion("pkj", real.Add(5*time.Minute), time.Time{}, real.Add(10*time.Minute)), both},
		// Once: each try waits out jwksFetchTimeout.
		{"unreachable jwks_uri", assertion("pkj-uri", real, time.Time{}, real.Add(time.Minute)), both[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range tc.paths {
				resp, body := h.postForm(path, url.Values{
					"grant_type": {"client_credentials"}, "token": {"x"},
					"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
					"client_assertion":      {tc.assertion},
				}, "", "")
				wantOAuthError(t, path, resp, body, http.StatusUnauthorized, "invalid_client")
			}
		})
	}
	// The same client with a valid assertion still works (the refusals
	// above are not a broken setup).
	resp, body := h.postForm("/oauth2/token", url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion("pkj", real, time.Time{}, real.Add(time.Minute))},
	}, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("valid assertion: %d %v", resp.StatusCode, body)
	}
}
