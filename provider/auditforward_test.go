package provider

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/audit/forward"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
)

// TestServicesQueueAuditForwarding: with sinks, the services' audit events
// are queued for the sinks whose filter takes them, and serve's background
// runs the worker; without, nothing is queued and no worker runs; a sink
// that does not validate stops NewServices.
func TestServicesQueueAuditForwarding(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ostiary.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	secret, err := forward.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://127.0.0.1:1", [][]byte{bytes.Repeat([]byte("p"), 32)}
	quiet := slog.New(slog.DiscardHandler)
	cfg.AuditLog = quiet

	off, err := NewServices(cfg, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(off.Close)
	if off.Forward != nil || len(newBackground(cfg, off)) != 2 {
		t.Error("a worker without sinks")
	}

	cfg.AuditForwarding.Sinks = []forward.SinkConfig{
		{Name: "clients", Type: forward.TypeWebhook, URL: "https://siem.example/hook", Secret: secret, Events: []string{"client.*"}},
		{Name: "logins", Type: forward.TypeSyslog, Address: "logs.example:514", Transport: forward.TransportUDP, Facility: "auth", Events: []string{"login.*"}},
	}
	s, err := NewServices(cfg, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if s.Forward == nil || len(newBackground(cfg, s)) != 3 {
		t.Error("no worker with sinks")
	}
	must(t, st.CreateClient(t.Context(), storage.Client{ID: "rp", Name: "RP", SecretHash: []byte("x"),
		RedirectURIs: []string{"https://rp.example/cb"}, GrantTypes: []string{"authorization_code"}}))
	must(t, s.Admin.DeleteClient(t.Context(), accounts.Actor{ID: accounts.SystemActor}, "rp"))
	for sink, want := range map[string]int{"clients": 1, "logins": 0} {
		q, err := st.PendingAuditForward(t.Context(), sink, 10)
		if err != nil || len(q) != want || (want == 1 && q[0].Event.Type != "client.deleted") {
			t.Errorf("%s queue: %+v, %v; want %d", sink, q, err, want)
		}
	}

	cfg.AuditForwarding.Sinks[0].Secret = forward.Secret{}
	if _, err := NewServices(cfg, st, quiet); err == nil {
		t.Error("a webhook sink without a secret was accepted")
	}
}
