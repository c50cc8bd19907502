package provider

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// TestBackchannelLogoutGoesThroughTheGuard: the provider's back-channel
// notifier sends through the guarded client. A receiver on loopback gets
// its logout token under the development default of a loopback issuer,
// and none at all (one attempt, logged) once outbound.allow is set empty.
func TestBackchannelLogoutGoesThroughTheGuard(t *testing.T) {
	for _, c := range []struct {
		name      string
		allow     []string
		delivered bool
	}{
		{"loopback issuer default", nil, true},
		{"empty allow-list", []string{}, false},
		{"listed", []string{"127.0.0.1/32"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int32
			rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
			defer rp.Close()
			st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ostiary.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			var logs lockedBuffer
			cfg := Config{Issuer: "http://127.0.0.1:1", Secrets: [][]byte{bytes.Repeat([]byte("p"), 32)}, RSABits: 2048, OutboundAllow: c.allow}
			p, err := New(t.Context(), cfg, st, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			now := time.Now()
			must(t, st.CreateClient(t.Context(), storage.Client{ID: "rp", Name: "RP", SecretHash: []byte("x"),
				RedirectURIs: []string{"https://rp.example/cb"}, GrantTypes: []string{"authorization_code"},
				BackchannelLogoutURI: rp.URL + "/bc", BackchannelLogoutSessionRequired: true, CreatedAt: now}))
			must(t, st.CreateToken(t.Context(), storage.TokenRecord{Kind: storage.KindRefreshToken, Signature: "sig", RequestID: "req",
				ClientID: "rp", Subject: "u1", SessionID: "s1", Session: []byte("{}"), Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour)}))

			start := time.Now()
			p.notify.SessionEnded(t.Context(), "u1", "s1")
			p.notify.Wait()
			if got := hits.Load() > 0; got != c.delivered {
				t.Fatalf("delivered = %v, want %v; log:\n%s", got, c.delivered, logs.String())
			}
			if !c.delivered {
				if !strings.Contains(logs.String(), "address not allowed") {
					t.Errorf("the refusal is not logged:\n%s", logs.String())
				}
				// A refused address is not retried with backoff.
				if d := time.Since(start); d > time.Second {
					t.Errorf("refused delivery took %v", d)
				}
			}
		})
	}
}
