package adminapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// dpop_bound_access_tokens (RFC 9449 §5.2) through the admin operations:
// kept on create, shown in the view, changed by a patch, false by default.
func TestClientDPoPBoundAccessTokens(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t)
	s := &Service{Store: store, Audit: store, Now: time.Now, SigningAlgorithms: []string{"RS256"}}
	a := accounts.Actor{ID: "admin"}
	var body clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"D","public":true,"redirect_uris":["https://d.example/cb"],"dpop_bound_access_tokens":true}`), &body); err != nil {
		t.Fatal(err)
	}
	c, _, err := s.CreateClient(t.Context(), a, body.spec())
	if err != nil || !ViewClient(c).DPoPBoundAccessTokens {
		t.Fatalf("create: %v %+v", err, ViewClient(c))
	}
	off := false
	c, err = s.UpdateClient(t.Context(), a, c.ID, ClientPatch{DPoPBoundAccessTokens: &off})
	if err != nil || c.DPoPBoundAccessTokens {
		t.Fatalf("patch to false: %v %+v", err, c)
	}
	var plain clientCreate
	if err := json.Unmarshal([]byte(`{"client_name":"P","redirect_uris":["https://p.example/cb"]}`), &plain); err != nil {
		t.Fatal(err)
	}
	if plain.spec().DPoPBoundAccessTokens {
		t.Error("absent dpop_bound_access_tokens is true")
	}
}
