package provider

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/ostiary/ostiary/internal/otlptest"
	"github.com/ostiary/ostiary/provider/tracing"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// TestTracingExportsTokenRequestWithDatabaseAndOutboundSpans: with tracing
// on, a token request (client_credentials, private_key_jwt whose jwks_uri
// the provider fetches) reaches a real OTLP/HTTP receiver as one trace: the
// server span, named by its route, continues the caller's traceparent
// (W3C Trace Context §3.2); the SQLite statements and the jwks_uri fetch are
// its children, and the fetch sends the trace on to the key server.
func TestTracingExportsTokenRequestWithDatabaseAndOutboundSpans(t *testing.T) {
	t.Parallel()
	rcv := otlptest.New(t)
	tp, err := tracing.Start(t.Context(), tracing.Config{Endpoint: rcv.URL, Insecure: true, SampleRatio: 1, ServiceName: "ostiary-test"})
	must(t, err)
	defer func() { _ = tp.Shutdown(t.Context()) }()

	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ostiary.db"), sqlite.WithTracing(tp))
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Migrate(t.Context())
	must(t, err)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "c1", Algorithm: "RS256", Use: "sig"}}})
	var keyServerParent string
	keyServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keyServerParent = r.Header.Get("Traceparent")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	defer keyServer.Close()

	srv := httptest.NewUnstartedServer(nil)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://"+srv.Listener.Addr().String(), [][]byte{bytes.Repeat([]byte("p"), 32)}
	cfg.Tracing = tp
	p, err := New(t.Context(), cfg, st, slog.New(slog.DiscardHandler))
	must(t, err)
	defer p.Close()
	srv.Config.Handler = p
	srv.Start()
	defer srv.Close()
	now := time.Now()
	must(t, st.CreateClient(t.Context(), storage.Client{ID: "svc", Name: "Service", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"api:read"}, ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "private_key_jwt",
		JWKSURI: keyServer.URL + "/jwks", CreatedAt: now, UpdatedAt: now}))

	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "c1"}}, nil)
	assertion, _ := josejwt.Signed(sig).Claims(map[string]any{"iss": "svc", "sub": "svc", "aud": cfg.Issuer + "/oauth2/token",
		"jti": now.String(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}).Serialize()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}, "client_assertion": {assertion},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
	req, _ := http.NewRequest(http.MethodPost, cfg.Issuer+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req.Header.Set("Traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	must(t, tp.ForceFlush(t.Context()))

	spans := rcv.Spans()
	var server *tracepb.Span
	for _, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			if server != nil {
				t.Fatalf("two server spans: %q and %q", server.Name, s.Name)
			}
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no server span among %d", len(spans))
	}
	if server.Name != "POST /oauth2/token" || otlptest.Attr(server, "http.route") != "/oauth2/token" {
		t.Errorf("server span %q, http.route %q: want the route, not the raw path", server.Name, otlptest.Attr(server, "http.route"))
	}
	if hex.EncodeToString(server.TraceId) != callerTrace || hex.EncodeToString(server.ParentSpanId) != callerSpan {
		t.Errorf("server span: trace %x parent %x, want the caller's %s/%s", server.TraceId, server.ParentSpanId, callerTrace, callerSpan)
	}
	if code := otlptest.Attr(server, "http.response.status_code"); code != "int_value:200" {
		t.Errorf("status code attribute %q", code)
	}
	// childOf reports whether s is below the server span, within its trace.
	childOf := func(s *tracepb.Span) bool { return s != server && otlptest.Descends(spans, s, server) }
	var db, outbound []*tracepb.Span
	for _, s := range spans {
		switch {
		case otlptest.Attr(s, "db.system.name") == "sqlite":
			db = append(db, s)
		case s.Kind == tracepb.Span_SPAN_KIND_CLIENT && otlptest.Attr(s, "http.request.method") == "GET":
			outbound = append(outbound, s)
		}
	}
	// The statements of the setup (migrations, the signing key, the client)
	// ran outside any request: no spans of their own.
	var dbChildren int
	for _, s := range db {
		if !bytes.Equal(s.TraceId, server.TraceId) {
			t.Errorf("database span %q outside the request's trace", s.Name)
		}
		if s.Kind != tracepb.Span_SPAN_KIND_CLIENT || s.Name == "" || otlptest.Attr(s, "db.query.text") == "" {
			t.Errorf("database span %q kind %v query %q", s.Name, s.Kind, otlptest.Attr(s, "db.query.text"))
		}
		if childOf(s) {
			dbChildren++
		}
		// Statements carry placeholders, never the values bound to them.
		if q := otlptest.Attr(s, "db.query.text"); strings.Contains(q, "svc") || strings.Contains(q, assertion[:20]) {
			t.Errorf("a statement span carries a value: %s", q)
		}
	}
	if dbChildren == 0 {
		t.Errorf("no database span under the token request among %d database spans", len(db))
	}
	if len(outbound) != 1 || !childOf(outbound[0]) {
		t.Fatalf("want one jwks_uri fetch span, under the server span; got %d", len(outbound))
	}
	fetch := outbound[0]
	if u := otlptest.Attr(fetch, "url.full"); u != keyServer.URL+"/jwks" {
		t.Errorf("outbound span url.full %q", u)
	}
	// The key server got the trace: the fetch span is its parent.
	if want := "00-" + callerTrace + "-" + hex.EncodeToString(fetch.SpanId) + "-01"; keyServerParent != want {
		t.Errorf("key server traceparent %q, want %q", keyServerParent, want)
	}
	for _, s := range spans {
		// No span carries the assertion or the token answered.
		for _, a := range s.Attributes {
			if v := a.Value.String(); strings.Contains(v, assertion[:40]) || strings.Contains(v, string(body[20:60])) {
				t.Errorf("span %q attribute %s carries a secret", s.Name, a.Key)
			}
		}
	}

	// A back-channel logout delivery, sent after the request that ended the
	// session, is in that request's trace and sends it on.
	var rpParent string
	rpDone := make(chan struct{})
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rpParent = r.Header.Get("Traceparent")
		close(rpDone)
	}))
	defer rp.Close()
	must(t, st.CreateClient(t.Context(), storage.Client{ID: "rp", Name: "RP", SecretHash: []byte("x"),
		RedirectURIs: []string{"https://rp.example/cb"}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		BackchannelLogoutURI: rp.URL + "/bc", CreatedAt: now, UpdatedAt: now}))
	must(t, st.CreateToken(t.Context(), storage.TokenRecord{Kind: storage.KindRefreshToken, Signature: "sig", RequestID: "req",
		ClientID: "rp", Subject: "u1", SessionID: "s1", Session: []byte("{}"), Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour)}))
	logoutCtx, logout := tp.Tracer("test").Start(t.Context(), "logout")
	p.notify.SessionEnded(logoutCtx, "u1", "s1")
	logout.End()
	p.notify.Wait()
	<-rpDone
	must(t, tp.ForceFlush(t.Context()))
	var delivery *tracepb.Span
	for _, s := range rcv.Spans() {
		if s.Kind == tracepb.Span_SPAN_KIND_CLIENT && otlptest.Attr(s, "http.request.method") == "POST" {
			delivery = s
		}
	}
	if delivery == nil {
		t.Fatal("no span for the back-channel logout delivery")
	}
	if sc := logout.SpanContext(); !bytes.Equal(delivery.ParentSpanId, spanIDBytes(sc.SpanID())) {
		t.Errorf("delivery span parent %x, want the logout request %s", delivery.ParentSpanId, sc.SpanID())
	}
	if want := "00-" + logout.SpanContext().TraceID().String() + "-" + hex.EncodeToString(delivery.SpanId) + "-01"; rpParent != want {
		t.Errorf("relying party got traceparent %q, want %q", rpParent, want)
	}

	if svcs := rcv.Services(); len(svcs) == 0 || svcs[0] != "ostiary-test" {
		t.Errorf("service.name = %v", svcs)
	}
}

func spanIDBytes(id trace.SpanID) []byte { return id[:] }

// TestTracingOffWrapsNothing: without Config.Tracing neither the handler
// nor the outbound client is wrapped (the token path runs as it did before
// tracing existed); with it both are.
func TestTracingOffWrapsNothing(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Issuer, cfg.Secrets = "http://127.0.0.1:1", [][]byte{bytes.Repeat([]byte("p"), 32)}
		if on {
			tp := sdktrace.NewTracerProvider()
			defer func() { _ = tp.Shutdown(t.Context()) }()
			cfg.Tracing = tp
		}
		p, err := New(t.Context(), cfg, sqlitetest.Open(t), slog.New(slog.DiscardHandler))
		must(t, err)
		defer p.Close()
		_, tracedEgress := p.Services.HTTP.Transport.(*otelhttp.Transport)
		if (p.traced != nil) != on || tracedEgress != on {
			t.Errorf("tracing %v: handler wrapped %v, outbound client wrapped %v", on, p.traced != nil, tracedEgress)
		}
	}
}
