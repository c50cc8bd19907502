package provider

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// TestServicesAuditAndWatchClientWrites: the admin operations of
// NewServices, which serve and the CLI share, write each audit event to the
// audit log stream as well as the store, and their client writes reach
// the registered client caches.
func TestServicesAuditAndWatchClientWrites(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ostiary.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://127.0.0.1:1", [][]byte{bytes.Repeat([]byte("p"), 32)}
	cfg.AuditLog = slog.New(slog.NewJSONHandler(&stream, nil))
	s, err := NewServices(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	var forgotten []string
	s.onClientChange(func(id string) { forgotten = append(forgotten, id) })

	must(t, st.CreateClient(t.Context(), storage.Client{ID: "rp", Name: "RP", SecretHash: []byte("x"),
		RedirectURIs: []string{"https://rp.example/cb"}, GrantTypes: []string{"authorization_code"}, CreatedAt: time.Now()}))
	must(t, s.Admin.DeleteClient(t.Context(), accounts.Actor{ID: accounts.SystemActor}, "rp"))
	if !slices.Equal(forgotten, []string{"rp"}) {
		t.Errorf("client caches told of %v, want [rp]", forgotten)
	}
	var line struct {
		Msg   string            `json:"msg"`
		Audit map[string]string `json:"audit"`
	}
	if err := json.Unmarshal(stream.Bytes(), &line); err != nil || line.Msg != "audit" || line.Audit["type"] != "client.deleted" {
		t.Errorf("audit stream = %q (%v); want one client.deleted line", stream.String(), err)
	}
	events, err := st.ListAudit(t.Context(), storage.AuditFilter{})
	if err != nil || len(events) != 1 || events[0].Type != "client.deleted" {
		t.Errorf("stored events = %v, %v", events, err)
	}
}
