package dcr

import (
	"encoding/json"
	"testing"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/storage"
)

// FuzzMetadata decodes a registration body as open dynamic registration
// receives it (RFC 7591 §3.1, from anyone) and applies it: nothing a
// registrant writes may yield a client that the administrators' own rules
// (clients.Validate) would refuse, nor one with a grant, scope or (without
// an initial access token) audience that registration does not hand out.
func FuzzMetadata(f *testing.F) {
	f.Add(`{"redirect_uris":["https://app.example/cb"],"client_name":"App"}`, false)
	f.Add(`{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"CLI","token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"scope":"openid offline_access"}`, false)
	f.Add(`{"redirect_uris":["https://a.example/cb"],"client_name":"K","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}}`, false)
	f.Add(`{"redirect_uris":["https://a.example/cb"],"client_name":"x","grant_types":["password"],"scope":"ostiary:admin"}`, false)
	f.Add(`{"redirect_uris":["\u0000"],"client_name":"\ud800"}`, false)
	f.Add(`{"redirect_uris":["https://a.example/cb"],"client_name":"A","audience":["https://api.example"],"pkce_required":false}`, true)
	f.Add(`{"redirect_uris":["https://a.example/cb"],"client_name":"A","audience":["https://api.example"]}`, false)
	f.Fuzz(func(t *testing.T, body string, withToken bool) {
		var m Metadata
		if json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		c, err := m.apply(storage.Client{ID: "fuzz"}, withToken)
		if err != nil {
			return
		}
		if err := clients.Validate(c); err != nil {
			t.Fatalf("registration accepted %s, but the client is invalid: %v", body, err)
		}
		for _, g := range c.GrantTypes {
			if g != clients.GrantAuthorizationCode && g != clients.GrantRefreshToken {
				t.Fatalf("registration granted itself %q", g)
			}
		}
		if !withToken && len(c.Audiences) > 0 {
			t.Fatalf("open registration claimed the audiences %v", c.Audiences)
		}
		for _, s := range c.Scopes {
			if s == "ostiary:admin" {
				t.Fatalf("registration granted itself the admin scope")
			}
		}
	})
}
