package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// auditStore is a store whose audit writes can be made to fail or to hang.
type auditStore struct {
	storage.Store
	fail  error
	block chan struct{}
}

func (s *auditStore) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.fail != nil {
		return s.fail
	}
	return s.Store.AppendAudit(ctx, e)
}

// clientAuthEnv is the provider behind a trusted proxy, with one
// confidential client "svc" whose secret is svcSecret.
type clientAuthEnv struct {
	srv   *httptest.Server
	p     *Provider
	store storage.Store
	logs  *lockedBuffer
}

const svcSecret = "svc-secret-4f9c2b7d1e"

func newClientAuthEnv(t *testing.T, wrap func(storage.Store) storage.Store) *clientAuthEnv {
	t.Helper()
	st := sqlitetest.Open(t)
	now := time.Now()
	must(t, st.CreateClient(t.Context(), storage.Client{ID: "svc", Name: "Service", SecretHash: randtoken.Hash(svcSecret),
		GrantTypes: []string{"client_credentials", "authorization_code"}, Scopes: []string{"api:read", "openid"}, ResponseTypes: []string{"code"},
		RedirectURIs: []string{"https://svc.example/cb"}, TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now}))
	var store storage.Store = st
	if wrap != nil {
		store = wrap(st)
	}
	e := &clientAuthEnv{store: st, logs: &lockedBuffer{}}
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://"+e.srv.Listener.Addr().String(), [][]byte{bytes.Repeat([]byte("p"), 32)}
	cfg.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	p, err := New(t.Context(), cfg, store, slog.New(slog.NewTextHandler(e.logs, nil)))
	must(t, err)
	e.p = p
	e.srv.Config.Handler = p
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	t.Cleanup(p.Close)
	return e
}

// post sends form to path with Basic credentials (user non-empty) from the
// address forwarded by the trusted proxy.
func (e *clientAuthEnv) post(t *testing.T, path string, form url.Values, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "198.51.100.23")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// forwarded is an x/oauth2 HTTP client whose requests come through the proxy.
type forwardedTransport struct{}

func (forwardedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", "198.51.100.23")
	return http.DefaultTransport.RoundTrip(r)
}

// TestFailedClientAuthenticationIsLoggedAndAudited: a refused client at the
// token (RFC 6749 §5.2 invalid_client, through x/oauth2's client
// credentials at its defaults), introspection (RFC 7662 §2.1), revocation
// (RFC 7009 §2.1) and pushed authorization (RFC 9126 §2) endpoints is one
// warn line and one client.auth_failed event each, with the client id it
// named, its forwarded address and the reason; the secrets it presented are
// in neither.
func TestFailedClientAuthenticationIsLoggedAndAudited(t *testing.T) {
	t.Parallel()
	e := newClientAuthEnv(t, nil)
	const wrong = "wrong-secret-8d1a6e"

	cc := &clientcredentials.Config{ClientID: "svc", ClientSecret: wrong, TokenURL: e.srv.URL + "/oauth2/token", Scopes: []string{"api:read"}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: forwardedTransport{}})
	_, err := cc.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "invalid_client" {
		t.Fatalf("token with a wrong secret: %v", err)
	}
	cc.ClientID, cc.ClientSecret = "ghost", "ghost-secret-31c7"
	if _, err := cc.Token(ctx); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("token for an unknown client: %v", err)
	}
	if code := e.post(t, "/oauth2/introspect", url.Values{"token": {"x"}, "client_id": {"svc"}}, "", ""); code != http.StatusUnauthorized {
		t.Errorf("introspect without credentials: %d", code)
	}
	if code := e.post(t, "/oauth2/revoke", url.Values{"token": {"x"}}, "svc", wrong); code != http.StatusUnauthorized {
		t.Errorf("revoke with a wrong secret: %d", code)
	}
	par := url.Values{"response_type": {"code"}, "redirect_uri": {"https://svc.example/cb"}, "scope": {"openid"},
		"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
	if code := e.post(t, "/oauth2/par", par, "svc", wrong); code != http.StatusUnauthorized {
		t.Errorf("pushed request with a wrong secret: %d", code)
	}
	// Sent in the body although the client registered client_secret_basic.
	if code := e.post(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {svcSecret}}, "", ""); code != http.StatusUnauthorized {
		t.Errorf("token with client_secret_post for a basic client: %d", code)
	}
	// A success is neither.
	cc.ClientID, cc.ClientSecret = "svc", svcSecret
	if _, err := cc.Token(ctx); err != nil {
		t.Fatalf("token with the right secret: %v", err)
	}
	e.p.Close() // writes the queue

	// x/oauth2 at its defaults (AuthStyleAutoDetect) tries Basic, then on
	// a refusal the same credentials in the body: two attempts, two events.
	want := []struct{ endpoint, client, reason string }{
		{"/oauth2/token", "svc", "wrong_secret"},
		{"/oauth2/token", "svc", "method_not_allowed"},
		{"/oauth2/token", "ghost", "unknown_client"},
		{"/oauth2/token", "ghost", "unknown_client"},
		{"/oauth2/introspect", "svc", "no_credentials"},
		{"/oauth2/revoke", "svc", "wrong_secret"},
		{"/oauth2/par", "svc", "wrong_secret"},
		{"/oauth2/token", "svc", "method_not_allowed"},
	}
	events, err := e.store.ListAudit(t.Context(), storage.AuditFilter{Type: "client.auth_failed"})
	must(t, err)
	slices.Reverse(events) // oldest first
	if len(events) != len(want) {
		t.Fatalf("%d client.auth_failed events, want %d: %+v", len(events), len(want), events)
	}
	logs := e.logs.String()
	for i, w := range want {
		ev := events[i]
		if ev.ClientID != w.client || ev.IP != "198.51.100.23" || ev.Details["endpoint"] != w.endpoint || ev.Details["reason"] != w.reason {
			t.Errorf("event %d = %+v, want %+v", i, ev, w)
		}
		line := `level=WARN msg="client authentication failed" endpoint=` + w.endpoint + ` client_id=` + w.client + ` ip=198.51.100.23 reason=` + w.reason
		if !strings.Contains(logs, line) {
			t.Errorf("no log line %q", line)
		}
		for _, secret := range []string{wrong, "ghost-secret-31c7", svcSecret} {
			for k, v := range ev.Details {
				if strings.Contains(v, secret) {
					t.Errorf("event %d detail %s carries a secret", i, k)
				}
			}
		}
	}
	for _, secret := range []string{wrong, "ghost-secret-31c7", svcSecret,
		base64.StdEncoding.EncodeToString([]byte("svc:" + wrong))} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log carries the secret %q:\n%s", secret, logs)
		}
	}
}

// TestClientAuthFailureAuditNeverFailsOrSlowsTheAnswer: a store that
// refuses the audit write leaves the answer a 401 (the failure logged), and
// one that hangs does not hold the 401 back.
func TestClientAuthFailureAuditNeverFailsOrSlowsTheAnswer(t *testing.T) {
	t.Parallel()
	form := url.Values{"grant_type": {"client_credentials"}}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		e := newClientAuthEnv(t, func(s storage.Store) storage.Store { return &auditStore{Store: s, fail: errors.New("disk full")} })
		if code := e.post(t, "/oauth2/token", form, "svc", "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("token: %d, want 401", code)
		}
		e.p.Close()
		if logs := e.logs.String(); !strings.Contains(logs, "audit append failed") || !strings.Contains(logs, "disk full") {
			t.Errorf("the refused write is not logged:\n%s", logs)
		}
	})
	t.Run("hung", func(t *testing.T) {
		t.Parallel()
		block := make(chan struct{})
		e := newClientAuthEnv(t, func(s storage.Store) storage.Store { return &auditStore{Store: s, block: block} })
		start := time.Now()
		for range 20 {
			if code := e.post(t, "/oauth2/token", form, "svc", "wrong"); code != http.StatusUnauthorized {
				t.Fatalf("token: %d, want 401", code)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("20 refusals with a hung audit store took %v", d)
		}
		close(block)
		e.p.Close()
		events, err := e.store.ListAudit(t.Context(), storage.AuditFilter{Type: "client.auth_failed"})
		must(t, err)
		if len(events) != 20 {
			t.Errorf("%d events written once the store answered, want 20", len(events))
		}
	})
}
