package adminapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// PATCH with attributes on a user, an organization and a membership: an
// RFC 7396 merge patch (or replace_attributes), read back by GET, refused
// with 400 (and nothing changed) past the bounds or the instance schema,
// audited with the keys only.
func TestAdminPatchesAttributes(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ostiary.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, u := range []storage.User{{ID: "root", Email: "root@example.com", Admin: true}, {ID: "ada", Email: "ada@example.com"}} {
		u.CreatedAt, u.UpdatedAt = now, now
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	policy, err := attributes.NewPolicy(nil, map[attributes.Kind][]byte{
		attributes.User: []byte(`{"type":"object","properties":{"level":{"type":"integer"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	users := &accounts.Users{Store: st, Audit: st, Attributes: policy, Now: clock}
	orgs := &accounts.Organizations{Store: st, Audit: st, Attributes: policy, Now: clock}
	if err := st.CreateOrg(ctx, storage.Organization{ID: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddMembership(ctx, storage.Membership{OrgID: "acme", UserID: "ada", Role: "member", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&Handler{Service: &Service{Store: st, Audit: st, Users: users, Orgs: orgs, Now: clock},
		Auth: anyAdmin{}, Issuer: "http://issuer.test"}).Handle())
	t.Cleanup(srv.Close)
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+BasePath+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer x")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}

	status, m := call("PATCH", "/users/ada", `{"attributes":{"department":"Eng","level":2,"tags":["a"]}}`)
	if status != 200 || m["attributes"].(map[string]any)["department"] != "Eng" {
		t.Fatalf("PATCH user: %d %v", status, m)
	}
	// RFC 7396 §2: null removes the member; others are set.
	status, m = call("PATCH", "/users/ada", `{"attributes":{"tags":null,"site":"Paris"}}`)
	want := map[string]any{"department": "Eng", "level": float64(2), "site": "Paris"}
	if status != 200 || !reflect.DeepEqual(m["attributes"], want) {
		t.Fatalf("merge patch: %d %v, want %v", status, m["attributes"], want)
	}
	if _, m = call("GET", "/users/ada", ""); !reflect.DeepEqual(m["attributes"], want) {
		t.Errorf("GET user attributes = %v", m["attributes"])
	}
	evs, _ := st.ListAudit(ctx, storage.AuditFilter{Type: "user.attributes_changed"})
	if len(evs) != 2 || evs[0].ActorID != "root" || (evs[0].Details["keys"] != "site,tags" && evs[1].Details["keys"] != "site,tags") {
		t.Errorf("audit = %+v", evs)
	}
	for name, body := range map[string]string{
		"schema":       `{"attributes":{"level":"high"}}`,
		"not object":   `{"attributes":[1,2]}`,
		"too big":      `{"attributes":{"x":"` + strings.Repeat("y", attributes.MaxBytes) + `"}}`,
		"nothing":      `{}`,
		"replace only": `{"replace_attributes":true}`,
		"unknown":      `{"attribute":{}}`,
	} {
		if status, m := call("PATCH", "/users/ada", body); status != 400 {
			t.Errorf("%s: %d %v, want 400", name, status, m)
		}
	}
	if _, m = call("GET", "/users/ada", ""); !reflect.DeepEqual(m["attributes"], want) {
		t.Errorf("refused patches changed the attributes: %v", m["attributes"])
	}
	if status, _ := call("PATCH", "/users/nobody", `{"attributes":{"a":"b"}}`); status != 404 {
		t.Errorf("PATCH missing user: %d, want 404", status)
	}
	status, m = call("PATCH", "/users/ada", `{"attributes":{"only":"this"},"replace_attributes":true}`)
	if status != 200 || !reflect.DeepEqual(m["attributes"], map[string]any{"only": "this"}) {
		t.Errorf("replace: %d %v", status, m)
	}
	if status, m = call("PATCH", "/users/ada", `{"attributes":null}`); status != 200 || m["attributes"] != nil {
		t.Errorf("clear: %d %v", status, m)
	}

	status, m = call("PATCH", "/orgs/acme", `{"attributes":{"plan":"enterprise"}}`)
	if status != 200 || m["attributes"].(map[string]any)["plan"] != "enterprise" || m["name"] != "Acme" {
		t.Fatalf("PATCH org: %d %v", status, m)
	}
	status, m = call("PATCH", "/orgs/acme/members/ada", `{"attributes":{"cost_center":"42"}}`)
	if status != 200 || m["role"] != "member" || m["attributes"].(map[string]any)["cost_center"] != "42" {
		t.Fatalf("PATCH member: %d %v", status, m)
	}
	status, m = call("PATCH", "/orgs/acme/members/ada", `{"role":"admin"}`)
	if status != 200 || m["role"] != "admin" || m["attributes"].(map[string]any)["cost_center"] != "42" {
		t.Fatalf("PATCH member role keeps attributes: %d %v", status, m)
	}
	if status, _ := call("PATCH", "/orgs/acme/members/ada", `{}`); status != 400 {
		t.Errorf("PATCH member with nothing: %d, want 400", status)
	}
	for _, typ := range []string{"org.attributes_changed", "membership.attributes_changed"} {
		if evs, _ := st.ListAudit(ctx, storage.AuditFilter{Type: typ}); len(evs) != 1 {
			t.Errorf("%s audit events = %d, want 1", typ, len(evs))
		}
	}
}
