package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// The benchmarks call the handlers directly (no network), each on SQLite
// and on PostgreSQL (pgtest's throwaway cluster, or $OSTIARY_TEST_POSTGRES):
// BenchmarkClientCredentials/postgres and so on. BenchmarkRS256Sign is the
// yardstick: a client_credentials request should cost about one signature,
// an introspection far less (a verification, a SHA-256 client secret check,
// one indexed read). On PostgreSQL the database's own CPU is not in ns/op
// unless it shares the cores, as it does on a small machine.

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends are the stores every handler benchmark runs on.
var backends = []struct {
	name string
	open func(testing.TB) storage.Store
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

// onBackends runs bench as a sub-benchmark on a fresh harness per backend.
func onBackends(b *testing.B, bench func(b *testing.B, h *harness)) {
	onBackendsWith(b, func(*Config) {}, bench)
}

// onBackendsWith is onBackends on a harness configured by mutate.
func onBackendsWith(b *testing.B, mutate func(*Config), bench func(b *testing.B, h *harness)) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			h := newHarnessOn(b, be.open(b), mutate)
			b.ReportAllocs()
			bench(b, h)
		})
	}
}

func (h *harness) call(handler http.HandlerFunc, form url.Values, user, pass string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, h.issuer+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	handler(rec, req)
	return rec
}

func BenchmarkRS256Sign(b *testing.B) {
	key := testRSAKeys()[0]
	sum := sha256.Sum256([]byte("payload"))
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkES256Sign and BenchmarkEdDSASign are the same yardstick for the
// other algorithms a key set may hold (keys.Manager.Algorithms).
func BenchmarkES256Sign(b *testing.B) {
	key := testOtherKeys()["e1"].(*ecdsa.PrivateKey)
	sum := sha256.Sum256([]byte("payload"))
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, key, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEdDSASign(b *testing.B) {
	key := testOtherKeys()["d1"].(ed25519.PrivateKey)
	for b.Loop() {
		_ = ed25519.Sign(key, []byte("payload"))
	}
}

func BenchmarkClientCredentials(b *testing.B) { onBackends(b, benchClientCredentials) }

// BenchmarkClientCredentialsES256 and …EdDSA are BenchmarkClientCredentials
// with tokens.access_token_alg set: the token endpoint's CPU per grant side
// by side with RS256.
func BenchmarkClientCredentialsES256(b *testing.B) {
	onBackendsWith(b, func(c *Config) { c.AccessTokenAlg = "ES256" }, benchClientCredentials)
}

func BenchmarkClientCredentialsEdDSA(b *testing.B) {
	onBackendsWith(b, func(c *Config) { c.AccessTokenAlg = "EdDSA" }, benchClientCredentials)
}

func benchClientCredentials(b *testing.B, h *harness) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	for b.Loop() {
		if rec := h.call(h.s.Token, form, svcClient.id, svcClient.secret); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkRefresh(b *testing.B) { onBackends(b, benchRefresh) }

func benchRefresh(b *testing.B, h *harness) {
	a := h.agent()
	a.signIn("u1", "")
	rt := str(h.tokensFor(a, appClient), "refresh_token")
	for b.Loop() {
		rec := h.call(h.s.Token, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, appClient.id, appClient.secret)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var body map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		rt = str(body, "refresh_token")
	}
}

func BenchmarkIntrospect(b *testing.B) { onBackends(b, benchIntrospect) }

func benchIntrospect(b *testing.B, h *harness) {
	rec := h.call(h.s.Token, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, svcClient.id, svcClient.secret)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	form := url.Values{"token": {str(body, "access_token")}}
	for b.Loop() {
		rec := h.call(h.s.Introspect, form, svcClient.id, svcClient.secret)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"active":true`) {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
