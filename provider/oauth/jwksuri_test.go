package oauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/storage"
)

// TestJWKSURIFetchGoesThroughTheGuard: a private_key_jwt client's jwks_uri
// is fetched with Deps.HTTP, the provider's guarded client. On an address
// the allow-list does not name the document is never requested and the
// client is not authenticated; allowed, the same assertion authenticates.
func TestJWKSURIFetchGoesThroughTheGuard(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "c1", Algorithm: "RS256", Use: "sig"}}})
	var fetched atomic.Int32
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	defer keys.Close()

	for _, c := range []struct {
		name  string
		guard outbound.Guard
		ok    bool
	}{{"refused", outbound.Guard{}, false}, {"allowed", outbound.Guard{Allow: outbound.Loopback}, true}} {
		t.Run(c.name, func(t *testing.T) {
			fetched.Store(0)
			store := openSQLite(t)
			now := time.Now()
			if err := store.CreateClient(context.Background(), storage.Client{ID: "pkj", Name: "PKJ", GrantTypes: []string{"client_credentials"},
				Scopes: []string{"api:read"}, ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "private_key_jwt",
				JWKSURI: keys.URL + "/jwks", CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(nil)
			issuer := "http://" + srv.Listener.Addr().String()
			s, err := New(withLifespans(Config{Issuer: issuer, HMACSecret: bytes.Repeat([]byte("k"), 32)}), Deps{Store: store, Keys: newFakeKeys(),
				Browser: &fakeBrowser{sessions: map[string]storage.Session{}}, Pages: &fakePages{},
				HTTP: testEgress(t, c.guard)})
			if err != nil {
				t.Fatal(err)
			}
			srv.Config.Handler = http.HandlerFunc(s.Token)
			srv.Start()
			defer srv.Close()

			sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "c1"}}, nil)
			assertion, _ := josejwt.Signed(sig).Claims(map[string]any{"iss": "pkj", "sub": "pkj", "aud": issuer + "/oauth2/token",
				"jti": now.String(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}).Serialize()
			form := url.Values{"grant_type": {"client_credentials"}, "client_assertion": {assertion},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
			resp, err := http.Post(issuer+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			t.Logf("token: %d", resp.StatusCode)
			if got := resp.StatusCode == http.StatusOK; got != c.ok {
				t.Errorf("token: %d, want ok=%v", resp.StatusCode, c.ok)
			}
			if got := fetched.Load() > 0; got != c.ok {
				t.Errorf("jwks_uri fetched = %v, want %v", got, c.ok)
			}
		})
	}
}
