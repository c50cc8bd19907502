package provider

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/outbound"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// TestBackchannelLogoutGoesThroughTheGuard: the provider's back-channel
// notifier sends through the guarded client. A receiver on loopback gets
// its logout token under the development default of a loopback issuer,
// and none at all (one attempt, logged) once outbound.allow is set empty.
func TestBackchannelLogoutGoesThroughTheGuard(t *testing.T) {
	t.Parallel()
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
			st := sqlitetest.Open(t)
			var logs lockedBuffer
			cfg := DefaultConfig()
			cfg.Issuer, cfg.Secrets, cfg.OutboundAllow = "http://127.0.0.1:1", [][]byte{bytes.Repeat([]byte("p"), 32)}, c.allow
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

// TestUpstreamDiscoveryGoesThroughTheGuard: an upstream provider's
// discovery is fetched by the guarded client; on an address the
// allow-list does not name it fails with the refusal, never reaching it.
func TestUpstreamDiscoveryGoesThroughTheGuard(t *testing.T) {
	t.Parallel()
	idp := fakeidp.New(fakeidp.Person{Subject: "s", Email: "a@example.com"})
	defer idp.Close()
	for _, c := range []struct {
		allow []string
		ok    bool
	}{{nil, true}, {[]string{}, false}} {
		cfg := DefaultConfig()
		cfg.Issuer, cfg.Secrets, cfg.OutboundAllow = "http://127.0.0.1:1", [][]byte{bytes.Repeat([]byte("p"), 32)}, c.allow
		cfg.Connectors = []connectors.Config{{ID: "idp", Type: "oidc", Name: "IdP", ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, Issuer: idp.URL}}
		guard, err := OutboundGuard(cfg)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := newConnectorRegistry(cfg, guard, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		conn, ok := reg.Get("idp")
		if !ok {
			t.Fatal("connector idp not found")
		}
		_, err = conn.AuthURL(t.Context(), connectors.Start{State: "s", Nonce: "n", Verifier: strings.Repeat("v", 43)}, "http://127.0.0.1:1/cb")
		if (err == nil) != c.ok || (!c.ok && !errors.Is(err, outbound.ErrRefused)) {
			t.Errorf("allow %#v: AuthURL error %v, want ok=%v", c.allow, err, c.ok)
		}
	}
}
