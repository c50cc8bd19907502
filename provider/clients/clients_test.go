package clients

import (
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
)

func TestBuildConfidentialClient(t *testing.T) {
	t.Parallel()
	c, secret, err := Build(Spec{Name: "App", RedirectURIs: []string{"https://app.example/cb"}}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if secret == "" || !randtoken.Equal(c.SecretHash, secret) {
		t.Fatal("a confidential client must get a secret stored only as its SHA-256")
	}
	if c.TokenEndpointAuthMethod != AuthSecretBasic || len(c.GrantTypes) != 2 || len(c.Scopes) != 4 {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestBuildPublicClientHasNoSecret(t *testing.T) {
	t.Parallel()
	c, secret, err := Build(Spec{Name: "SPA", Public: true, RedirectURIs: []string{"http://127.0.0.1:5173/cb"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" || c.SecretHash != nil || c.TokenEndpointAuthMethod != AuthNone {
		t.Fatalf("public client: secret %q, method %q", secret, c.TokenEndpointAuthMethod)
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		spec Spec
		want []string
	}{
		{"no redirect for code", Spec{Name: "x"}, []string{"needs at least one"}},
		{"relative", Spec{Name: "x", RedirectURIs: []string{"/cb"}}, []string{"must be absolute"}},
		{"fragment (RFC 6749 §3.1.2)", Spec{Name: "x", RedirectURIs: []string{"https://a.example/cb#x"}}, []string{"fragment"}},
		{"plain http off loopback (RFC 8252 §7.3)", Spec{Name: "x", RedirectURIs: []string{"http://a.example/cb"}}, []string{"loopback"}},
		{"implicit grant (RFC 9700 §2.1.2)", Spec{Name: "x", GrantTypes: []string{"implicit"}}, []string{"not supported"}},
		{"public client_credentials", Spec{Name: "x", Public: true, GrantTypes: []string{"client_credentials"}}, []string{"only for confidential"}},
		{"public client without PKCE (RFC 9700 §2.1.1)", Spec{Name: "x", Public: true, PKCEOptional: true, RedirectURIs: []string{"http://127.0.0.1/cb"}}, []string{"public client must always use it"}},
		{"every problem at once", Spec{RedirectURIs: []string{"/a", "https://b.example/#f"}}, []string{"name: required", "must be absolute", "fragment"}},
		{"request object alg none (RFC 9101 §10.2)", Spec{Name: "x", GrantTypes: []string{"client_credentials"}, RequestObjectSigningAlg: "none"}, []string{"request object signing alg"}},
		{"request object alg HMAC", Spec{Name: "x", GrantTypes: []string{"client_credentials"}, RequestObjectSigningAlg: "HS256"}, []string{"request object signing alg"}},
		{"signed request objects without keys", Spec{Name: "x", GrantTypes: []string{"client_credentials"}, RequireSignedRequestObject: true}, []string{"needs a JWKS"}},
		{"origin with path", Spec{Name: "x", GrantTypes: []string{"client_credentials"}, CORSOrigins: []string{"https://a.example/path"}}, []string{"no path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Build(tc.spec, time.Now())
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCheckRedirectURIAcceptsNativeAndLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"https://app.example/cb?x=1", "http://localhost:8000/cb", "http://[::1]/cb", "com.example.app:/oauth2redirect"} {
		if err := CheckRedirectURI(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
