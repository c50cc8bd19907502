package adminapi

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// TestPKCERequiredField: pkce_required absent is true; false sets the
// client's PKCEOptional, a patch flips it, and the view reports it (always
// true for a public client).
func TestPKCERequiredField(t *testing.T) {
	t.Parallel()
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"P"}`), &body); err != nil || body.spec().PKCEOptional {
		t.Fatalf("absent pkce_required: optional=%v %v", body.spec().PKCEOptional, err)
	}
	if err := json.Unmarshal([]byte(`{"client_name":"P","pkce_required":false}`), &body); err != nil || !body.spec().PKCEOptional {
		t.Fatalf("pkce_required=false: optional=%v %v", body.spec().PKCEOptional, err)
	}
	var patch ClientPatch
	if err := json.Unmarshal([]byte(`{"pkce_required":true}`), &patch); err != nil {
		t.Fatal(err)
	}
	c := patch.apply(storage.Client{PKCEOptional: true})
	if c.PKCEOptional || !ViewClient(c).PKCERequired {
		t.Fatalf("patch pkce_required=true: %+v", c)
	}
	if err := json.Unmarshal([]byte(`{"pkce_required":false}`), &patch); err != nil {
		t.Fatal(err)
	}
	if c = patch.apply(c); !c.PKCEOptional || ViewClient(c).PKCERequired {
		t.Fatalf("patch pkce_required=false: %+v", c)
	}
	if c = (ClientPatch{}).apply(c); !c.PKCEOptional {
		t.Fatal("an empty patch changed the switch")
	}
	if !ViewClient(storage.Client{Public: true, PKCEOptional: true}).PKCERequired {
		t.Fatal("a public client is shown as let off PKCE")
	}
}

// TestRequirePARField: require_pushed_authorization_requests (RFC 9126 §6)
// is taken on creation, patched, and shown.
func TestRequirePARField(t *testing.T) {
	t.Parallel()
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"P","require_pushed_authorization_requests":true}`), &body); err != nil || !body.spec().RequirePushedAuthorizationRequests {
		t.Fatalf("create: %+v %v", body.spec(), err)
	}
	var patch ClientPatch
	if err := json.Unmarshal([]byte(`{"require_pushed_authorization_requests":false}`), &patch); err != nil {
		t.Fatal(err)
	}
	if c := patch.apply(storage.Client{RequirePushedAuthorizationRequests: true}); c.RequirePushedAuthorizationRequests || ViewClient(c).RequirePAR {
		t.Fatalf("patch false: %+v", c)
	}
	if c := (ClientPatch{}).apply(storage.Client{RequirePushedAuthorizationRequests: true}); !ViewClient(c).RequirePAR {
		t.Fatalf("empty patch changed it: %+v", c)
	}
}

// exchange_audiences (the RFC 8693 token exchange policy) through the admin
// operations: kept on create and update, shown in the view, refused
// (invalid) when not an absolute URI or without the token-exchange grant.
func TestClientExchangeAudiences(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	s := &Service{Store: store, Audit: store, Now: time.Now}
	a := accounts.Actor{ID: "admin"}
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"Backend","grant_types":["urn:ietf:params:oauth:grant-type:token-exchange"],
		"exchange_audiences":["https://b.example"]}`), &body); err != nil {
		t.Fatal(err)
	}
	c, _, err := s.CreateClient(t.Context(), a, body.spec())
	if err != nil || !slices.Equal(ViewClient(c).ExchangeAudiences, []string{"https://b.example"}) {
		t.Fatalf("create: %v %+v", err, ViewClient(c))
	}
	for name, spec := range map[string]clients.Spec{
		"not a URI":       {Name: "B", GrantTypes: []string{clients.GrantTokenExchange}, ExchangeAudiences: []string{"b.example"}},
		"with a fragment": {Name: "B", GrantTypes: []string{clients.GrantTokenExchange}, ExchangeAudiences: []string{"https://b.example/#x"}},
		"without the grant": {Name: "B", GrantTypes: []string{clients.GrantClientCredentials},
			ExchangeAudiences: []string{"https://b.example"}},
	} {
		if _, _, err := s.CreateClient(t.Context(), a, spec); !errors.Is(err, clients.ErrInvalid) {
			t.Errorf("create %s: %v, want clients.ErrInvalid", name, err)
		}
	}
	bad := []string{"relative/path"}
	if _, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{ExchangeAudiences: &bad}); !errors.Is(err, clients.ErrInvalid) {
		t.Errorf("update to %v: %v, want clients.ErrInvalid", bad, err)
	}
	two := []string{"https://b.example", "https://c.example/api"}
	u, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{ExchangeAudiences: &two})
	if err != nil || !slices.Equal(ViewClient(u).ExchangeAudiences, two) {
		t.Fatalf("update: %v %+v", err, ViewClient(u))
	}
	if got, _ := store.GetClient(t.Context(), c.ID); !slices.Equal(got.ExchangeAudiences, two) {
		t.Errorf("stored %v", got.ExchangeAudiences)
	}
	none := []string{}
	if u, err := s.UpdateClient(t.Context(), a, c.ID, ClientPatch{ExchangeAudiences: &none}); err != nil || len(ViewClient(u).ExchangeAudiences) != 0 ||
		ViewClient(u).ExchangeAudiences == nil {
		t.Errorf("clear: %v %+v", err, ViewClient(u))
	}
}
