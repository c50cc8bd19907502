package adminapi

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// id_token_signed_response_alg through the admin operations: kept when the
// key set signs with it, refused (invalid) when unknown or not enabled, on
// create and on update; the view shows RS256 when none was registered.
func TestClientIDTokenAlg(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	s := &Service{Store: store, Audit: store, Now: time.Now, SigningAlgorithms: []string{"RS256", "ES256"}}
	a := accounts.Actor{ID: "admin"}
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"E","redirect_uris":["https://e.example/cb"],"id_token_signed_response_alg":"ES256"}`), &body); err != nil {
		t.Fatal(err)
	}
	c, _, err := s.CreateClient(t.Context(), a, body.spec())
	if err != nil || ViewClient(c).IDTokenSignedResponseAlg != "ES256" {
		t.Fatalf("create ES256: %v %+v", err, ViewClient(c))
	}
	plain, _, err := s.CreateClient(t.Context(), a, clients.Spec{Name: "P", RedirectURIs: []string{"https://p.example/cb"}})
	if err != nil || ViewClient(plain).IDTokenSignedResponseAlg != "RS256" {
		t.Fatalf("create without alg: %v %+v", err, ViewClient(plain))
	}
	for _, alg := range []string{"HS256", "none", "EdDSA"} {
		_, _, err := s.CreateClient(t.Context(), a, clients.Spec{Name: "B", RedirectURIs: []string{"https://b.example/cb"}, IDTokenSignedResponseAlg: alg})
		if !errors.Is(err, clients.ErrInvalid) {
			t.Errorf("create with %s: %v, want clients.ErrInvalid", alg, err)
		}
		if _, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{IDTokenSignedResponseAlg: &alg}); !errors.Is(err, clients.ErrInvalid) {
			t.Errorf("update to %s: %v, want clients.ErrInvalid", alg, err)
		}
	}
	if got, _ := store.GetClient(t.Context(), c.ID); got.IDTokenSignedResponseAlg != "ES256" {
		t.Errorf("refused updates changed the alg to %q", got.IDTokenSignedResponseAlg)
	}
	back := ""
	if u, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{IDTokenSignedResponseAlg: &back}); err != nil || ViewClient(u).IDTokenSignedResponseAlg != "RS256" {
		t.Errorf("update back to the default: %v %+v", err, ViewClient(u))
	}
}

// request_object_signing_alg and require_signed_request_object (RFC 9101)
// through the admin operations: kept and shown on create and update; none,
// HMAC, or requiring request objects of a client without keys is invalid.
func TestClientRequestObjectSettings(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	s := &Service{Store: store, Audit: store, Now: time.Now}
	a := accounts.Actor{ID: "admin"}
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"J","redirect_uris":["https://j.example/cb"],"jwks_uri":"https://j.example/jwks",
		"request_object_signing_alg":"PS256","require_signed_request_object":true}`), &body); err != nil {
		t.Fatal(err)
	}
	c, _, err := s.CreateClient(t.Context(), a, body.spec())
	if v := ViewClient(c); err != nil || v.RequestObjectSigningAlg != "PS256" || !v.RequireSignedRequestObject {
		t.Fatalf("create: %v %+v", err, v)
	}
	for _, alg := range []string{"none", "HS256"} {
		if _, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{RequestObjectSigningAlg: &alg}); !errors.Is(err, clients.ErrInvalid) {
			t.Errorf("update to %s: %v, want clients.ErrInvalid", alg, err)
		}
	}
	es, off := "ES256", false
	u, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{RequestObjectSigningAlg: &es, RequireSignedRequestObject: &off})
	if v := ViewClient(u); err != nil || v.RequestObjectSigningAlg != "ES256" || v.RequireSignedRequestObject {
		t.Errorf("update: %v %+v", err, v)
	}
	if _, _, err := s.CreateClient(t.Context(), a, clients.Spec{Name: "K", RedirectURIs: []string{"https://k.example/cb"}, RequireSignedRequestObject: true}); !errors.Is(err, clients.ErrInvalid) {
		t.Errorf("required without keys: %v, want clients.ErrInvalid", err)
	}
}
