package provider

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// TestDiscoveryPushedRequests: discovery lists the pushed authorization
// request endpoint (RFC 9126 §5) and says require_pushed_authorization_requests
// exactly when the configuration requires it for every client.
func TestDiscoveryPushedRequests(t *testing.T) {
	t.Parallel()
	for _, require := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Issuer, cfg.Secrets, cfg.RSABits = "http://127.0.0.1:8080", [][]byte{bytes.Repeat([]byte("p"), 32)}, 2048
		cfg.RequirePushedAuthorizationRequests = require
		p, err := New(t.Context(), cfg, sqlitetest.Open(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8080/.well-known/openid-configuration", nil))
		var meta map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &meta); err != nil {
			t.Fatal(err)
		}
		if meta["pushed_authorization_request_endpoint"] != "http://127.0.0.1:8080/oauth2/par" {
			t.Errorf("pushed_authorization_request_endpoint = %v", meta["pushed_authorization_request_endpoint"])
		}
		if got, _ := meta["require_pushed_authorization_requests"].(bool); got != require {
			t.Errorf("require=%v: require_pushed_authorization_requests = %v", require, meta["require_pushed_authorization_requests"])
		}
	}
}
