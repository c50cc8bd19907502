package backchannel

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/storage"
)

type fakeClients map[string]storage.Client

func (f fakeClients) GetClient(_ context.Context, id string) (storage.Client, error) {
	c, ok := f[id]
	if !ok {
		return storage.Client{}, fmt.Errorf("client %s: %w", id, storage.ErrNotFound)
	}
	return c, nil
}

type fakeSessions map[string][]string

func (f fakeSessions) SessionClients(_ context.Context, sid string) ([]string, error) {
	return f[sid], nil
}

type fixedSigner struct {
	kid string
	key *rsa.PrivateKey
}

func (s fixedSigner) Signing(context.Context) (string, *rsa.PrivateKey, error) {
	return s.kid, s.key, nil
}

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func signingKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// rp is a relying party's back-channel logout endpoint.
type rp struct {
	srv      *httptest.Server
	mu       sync.Mutex
	tokens   []string
	attempts atomic.Int32
	// status answers attempt n (1-based); nil answers 200.
	status func(n int32) int
}

func newRP(t *testing.T, status func(n int32) int) *rp {
	t.Helper()
	r := &rp{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.attempts.Add(1)
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("logout request: %s with Content-Type %q", req.Method, req.Header.Get("Content-Type"))
		}
		r.mu.Lock()
		r.tokens = append(r.tokens, req.PostFormValue("logout_token"))
		r.mu.Unlock()
		code := http.StatusOK
		if r.status != nil {
			code = r.status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newNotifier(t *testing.T, clients fakeClients, sessions fakeSessions) *Notifier {
	t.Helper()
	n := &Notifier{
		Clients:        clients,
		Tokens:         sessions,
		Signer:         fixedSigner{kid: "k1", key: signingKey(t)},
		Issuer:         "https://id.example.com",
		Now:            func() time.Time { return t0 },
		MaxAttempts:    3,
		Backoff:        time.Millisecond,
		AttemptTimeout: DefaultAttemptTimeout,
	}
	t.Cleanup(n.Close)
	return n
}

// checkLogoutToken verifies a token the way Back-Channel Logout 1.0 §2.6
// tells a relying party to, and returns its claims.
func checkLogoutToken(t *testing.T, raw string, pub *rsa.PublicKey, clientID string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("logout token does not parse: %v", err)
	}
	h := jws.Signatures[0].Header
	if h.KeyID != "k1" || h.ExtraHeaders[jose.HeaderType] != TokenType {
		t.Errorf("header kid %q typ %v; want k1, %s", h.KeyID, h.ExtraHeaders[jose.HeaderType], TokenType)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("logout token does not verify: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": "https://id.example.com", "aud": clientID, "sub": "user-1", "sid": "sess-1",
		"iat": float64(t0.Unix()), "exp": float64(t0.Add(2 * time.Minute).Unix()),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti %q is missing or short", jti)
	}
	events, _ := claims["events"].(map[string]any)
	if ev, ok := events[EventLogout].(map[string]any); !ok || len(ev) != 0 {
		t.Errorf("events = %v, want {%q: {}}", claims["events"], EventLogout)
	}
	if _, ok := claims["nonce"]; ok {
		t.Error("logout token carries a nonce (§2.4 forbids it)")
	}
	return claims
}

func TestLogoutTokenDelivered(t *testing.T) {
	t.Parallel()
	a, b := newRP(t, nil), newRP(t, nil)
	clients := fakeClients{
		"app-a": {ID: "app-a", BackchannelLogoutURI: a.srv.URL + "/logout", BackchannelLogoutSessionRequired: true},
		"app-b": {ID: "app-b", BackchannelLogoutURI: b.srv.URL + "/logout"},
		"quiet": {ID: "quiet"}, // no back-channel URI: not contacted
	}
	n := newNotifier(t, clients, fakeSessions{"sess-1": {"app-a", "app-b", "quiet", "deleted"}})
	n.SessionEnded(context.Background(), "user-1", "sess-1")
	n.Wait()
	for name, r := range map[string]*rp{"app-a": a, "app-b": b} {
		if len(r.tokens) != 1 {
			t.Fatalf("%s got %d logout requests, want 1", name, len(r.tokens))
		}
		checkLogoutToken(t, r.tokens[0], &signingKey(t).PublicKey, name)
	}
}

func TestRetryAfterServerError(t *testing.T) {
	t.Parallel()
	r := newRP(t, func(n int32) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent // §2.8: OPs accept 204 as success
	})
	n := newNotifier(t, fakeClients{"app": {ID: "app", BackchannelLogoutURI: r.srv.URL}}, fakeSessions{"sess-1": {"app"}})
	var results []string
	n.Finished = func(result string) { results = append(results, result) }
	n.SessionEnded(context.Background(), "user-1", "sess-1")
	n.Wait()
	if got := r.attempts.Load(); got != 2 {
		t.Fatalf("attempts = %d, want 2 (a 500, then success)", got)
	}
	if len(results) != 1 || results[0] != "delivered" {
		t.Errorf("Finished heard %v, want one delivered (the retry is not a result)", results)
	}
	// Each attempt carries its own token, so a retry never arrives expired.
	first := checkLogoutToken(t, r.tokens[0], &signingKey(t).PublicKey, "app")
	second := checkLogoutToken(t, r.tokens[1], &signingKey(t).PublicKey, "app")
	if first["jti"] == second["jti"] {
		t.Error("retry reused the first token's jti")
	}
}

func TestGivesUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   int32
	}{
		{http.StatusServiceUnavailable, 3}, // MaxAttempts
		{http.StatusBadRequest, 1},         // §2.8: the client rejected the token
		{http.StatusFound, 1},              // redirects are not followed
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			r := newRP(t, func(int32) int { return tc.status })
			n := newNotifier(t, fakeClients{"app": {ID: "app", BackchannelLogoutURI: r.srv.URL}}, fakeSessions{"sess-1": {"app"}})
			var results []string
			n.Finished = func(result string) { results = append(results, result) }
			n.SessionEnded(context.Background(), "user-1", "sess-1")
			n.Wait()
			if got := r.attempts.Load(); got != tc.want {
				t.Errorf("status %d: %d attempts, want %d", tc.status, got, tc.want)
			}
			if len(results) != 1 || results[0] != "failed" {
				t.Errorf("Finished heard %v, want [failed]", results)
			}
		})
	}
}

func TestSessionEndedDoesNotWaitForAHangingClient(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hung := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hung <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	n := newNotifier(t, fakeClients{"app": {ID: "app", BackchannelLogoutURI: srv.URL}}, fakeSessions{"sess-1": {"app"}})
	n.AttemptTimeout = time.Minute

	start := time.Now()
	n.SessionEnded(context.Background(), "user-1", "sess-1")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("SessionEnded took %v with a hanging client", d)
	}
	<-hung // the request is in flight
	// Close abandons it rather than waiting out the minute-long timeout.
	start = time.Now()
	n.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	// After Close nothing more is sent.
	n.SessionEnded(context.Background(), "user-1", "sess-1")
	select {
	case <-hung:
		t.Error("a notification was sent after Close")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		if attempts.Add(1) == 1 {
			<-r.Context().Done() // hang until the OP gives up on this attempt
			return
		}
	}))
	defer srv.Close()
	n := newNotifier(t, fakeClients{"app": {ID: "app", BackchannelLogoutURI: srv.URL}}, fakeSessions{"sess-1": {"app"}})
	n.AttemptTimeout = 100 * time.Millisecond
	n.SessionEnded(context.Background(), "user-1", "sess-1")
	n.Wait()
	if got := attempts.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2 (a timed-out attempt, then success)", got)
	}
}
