package connectors

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func TestRegistryRunTimeConnectors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := sqlitetest.Open(t)
	sealer, err := secrets.NewSealer([][]byte{bytes.Repeat([]byte{'c'}, secrets.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	file := Config{ID: "corp", Type: TypeOIDC, Name: "Corp", Issuer: "https://sso.corp.example", ClientID: "c", ClientSecret: "file-secret"}
	r := &Registry{Static: []Config{file}, Store: st, Sealer: sealer, Deps: Deps{Now: func() time.Time { return now }}}
	if len(r.Enabled()) != 1 {
		t.Fatalf("enabled %v", r.Enabled())
	}
	gh := Config{ID: "github", Type: TypeGitHub, Name: "GitHub", ClientID: "Iv1", ClientSecret: "the-github-secret"}
	if err := r.Create(ctx, gh); err != nil {
		t.Fatal(err)
	}
	// Visible at once here (Create invalidates), with its secret.
	c, ok := r.Get("github")
	if !ok || c.Config().ClientSecret != "the-github-secret" || c.Config().Name != "GitHub" {
		t.Fatalf("Get(github) = %+v, %v", c, ok)
	}
	// At rest the secret is sealed.
	recs, err := st.ListConnectors(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %v %v", recs, err)
	}
	if bytes.Contains(recs[0].Config, []byte("the-github-secret")) || bytes.Contains(recs[0].SealedSecret, []byte("the-github-secret")) {
		t.Fatal("client secret stored in the clear")
	}
	// Another replica's registry sees it after loading.
	other := &Registry{Static: []Config{file}, Store: st, Sealer: sealer}
	if _, ok := other.Get("github"); !ok {
		t.Fatal("another registry does not see the run-time connector")
	}
	if err := r.Create(ctx, Config{ID: "corp", Type: TypeGitHub, Name: "X", ClientID: "c", ClientSecret: "s"}); !errors.Is(err, ErrStatic) {
		t.Fatalf("Create over a file connector: %v", err)
	}
	if err := r.Create(ctx, gh); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("Create twice: %v", err)
	}
	if err := r.Create(ctx, Config{ID: "x", Type: "saml"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Create invalid: %v", err)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].Source != SourceFile || list[1].Source != SourceDatabase ||
		list[0].ClientSecret != "" || list[1].ClientSecret != "" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := r.Delete(ctx, "corp"); !errors.Is(err, ErrStatic) {
		t.Fatalf("Delete file connector: %v", err)
	}
	if err := r.Delete(ctx, "github"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get("github"); ok {
		t.Fatal("deleted connector still served")
	}
	// Another replica notices the deletion only when its refresh is due.
	if _, ok := other.Get("github"); !ok {
		t.Fatal("other registry reloaded before its refresh was due")
	}
}
