package adminapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// anyAdmin lets every token in as the user "root".
type anyAdmin struct{}

func (anyAdmin) AdminPrincipal(context.Context, string) (oauth.Principal, error) {
	return oauth.Principal{Subject: "root", User: true}, nil
}

// An administrator lists a user's tokens (no secret in sight) and
// revokes one over HTTP; the revoke is audited with the admin as actor,
// and the tokens of another user or of nobody are 404.
func TestAdminListsAndRevokesTokens(t *testing.T) {
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
	for _, id := range []string{"ada", "bob"} {
		if err := st.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	tokens := &pat.Service{Store: st, Audit: st, Now: clock}
	made, err := tokens.Create(ctx, accounts.Actor{ID: "ada"}, "ada", pat.Request{Name: "ci", Scopes: []string{"openid"}, Expires: "never"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&Handler{Service: &Service{Store: st, Audit: st, Tokens: tokens, Now: clock},
		Auth: anyAdmin{}, Issuer: "http://issuer.test"}).Handle())
	t.Cleanup(srv.Close)
	call := caller(t, srv)

	status, body := call("GET", "/users/ada/tokens")
	var list struct{ Items []map[string]any }
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %d %s", status, body)
	}
	if it := list.Items[0]; it["id"] != made.PAT.ID || it["name"] != "ci" || it["expires_at"] != nil || it["token_hash"] != nil {
		t.Fatalf("listed %v", it)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/users/nobody/tokens"},
		{"DELETE", "/users/nobody/tokens/" + made.PAT.ID},
		{"DELETE", "/users/bob/tokens/" + made.PAT.ID},
	} {
		if status, body := call(c.method, c.path); status != http.StatusNotFound {
			t.Errorf("%s %s: %d %s, want 404", c.method, c.path, status, body)
		}
	}
	if status, body := call("DELETE", "/users/ada/tokens/"+made.PAT.ID); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if _, err := st.GetPATByHash(ctx, pat.Hash(made.Token), now); err == nil {
		t.Fatal("the revoked token still works")
	}
	evs, err := st.ListAudit(ctx, storage.AuditFilter{Type: "pat.revoked"})
	if err != nil || len(evs) != 1 || evs[0].ActorID != "root" || evs[0].SubjectID != "ada" || evs[0].Details["pat_id"] != made.PAT.ID {
		t.Fatalf("audit: %+v %v", evs, err)
	}
}

// caller calls the API at srv with a bearer token anyAdmin lets in.
func caller(t *testing.T, srv *httptest.Server) func(method, path string) (int, []byte) {
	return func(method, path string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+BasePath+path, nil)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
}
