package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// tokens list shows a user's personal access tokens by id, never their
// secret; tokens revoke ends one, audited as the operator; a token that is
// not the user's is an error.
func TestTokensListAndRevoke(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	u := decode[map[string]string](t, c.ok("correct horse battery staple\n", "users", "create", "--email", "ada@example.com", "--password-stdin", "--output", "json"))
	st, err := sqlite.Open(t.Context(), filepath.Join(c.dir, "ostiary.db"))
	if err != nil {
		t.Fatal(err)
	}
	made, err := (&pat.Service{Store: st, Audit: st, Now: time.Now}).Create(t.Context(), accounts.Actor{ID: u["id"]}, u["id"],
		pat.Request{Name: "deploy", Scopes: []string{"openid"}, Expires: "90"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	list := decode[[]map[string]any](t, c.ok("", "tokens", "list", "--user", "ada@example.com", "--output", "json"))
	if len(list) != 1 || list[0]["id"] != made.PAT.ID || list[0]["name"] != "deploy" {
		t.Fatalf("tokens list = %v", list)
	}
	if text := c.ok("", "tokens", "list", "--user", u["id"]); !strings.Contains(text, made.PAT.ID) || strings.Contains(text, made.Token) {
		t.Fatalf("tokens list (text):\n%s", text)
	}
	if code, _, errOut := c.run("", "tokens", "revoke", "--user", u["id"], "--token", "nope"); code == 0 || errOut == "" {
		t.Fatalf("revoke of an unknown token: exit %d %q", code, errOut)
	}
	out := c.ok("", "tokens", "revoke", "--user", u["id"], "--token", made.PAT.ID)
	if !strings.Contains(out, "id="+made.PAT.ID) || !strings.Contains(out, "status=revoked") {
		t.Fatalf("tokens revoke: %q", out)
	}
	if list := decode[[]map[string]any](t, c.ok("", "tokens", "list", "--user", u["id"], "--output", "json")); len(list) != 0 {
		t.Fatalf("after revoke: %v", list)
	}
	evs := decode[[]map[string]any](t, c.ok("", "audit", "list", "--type", "pat.revoked", "--output", "json"))
	if len(evs) != 1 || evs[0]["actor_id"] != accounts.SystemActor || evs[0]["subject_id"] != u["id"] {
		t.Fatalf("audit: %v", evs)
	}
}
