package discovery

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

var update = flag.Bool("update", false, "update golden files instead of checking against them")

// compareGolden checks got, indented, against testdata/name; -update rewrites it.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\ngot:\n%s", name, buf.Bytes())
	}
}

// staticKeys is a JWKSSource over a fixed document.
type staticKeys struct {
	body []byte
	etag string
	err  error
}

func (s *staticKeys) JWKS(context.Context) ([]byte, string, error) { return s.body, s.etag, s.err }

var testJWKS = &staticKeys{body: []byte(`{"keys":[]}`), etag: `"jwks-v1"`}

func get(t testing.TB, h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestDiscoveryDocumentGolden(t *testing.T) {
	t.Parallel()
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: testJWKS, MaxAge: testMaxAge}
	w := get(t, h, http.MethodGet, PathOpenIDConfiguration)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	compareGolden(t, "openid-configuration.golden.json", w.Body.Bytes())

	// RFC 8414 §3: the same metadata under the OAuth well-known name.
	w2 := get(t, h, http.MethodGet, PathOAuthServerMetadata)
	if w2.Code != http.StatusOK || !bytes.Equal(w2.Body.Bytes(), w.Body.Bytes()) {
		t.Errorf("%s differs from %s", PathOAuthServerMetadata, PathOpenIDConfiguration)
	}
}

// TestDiscoveryRequiredFields checks the members OpenID Connect Discovery 1.0
// §3 and RFC 8414 §2 require, and the ones whose absence means something
// else (request_uri_parameter_supported defaults to true).
func TestDiscoveryRequiredFields(t *testing.T) {
	t.Parallel()
	h := &Handler{Metadata: NewMetadata("https://id.example.com/"), Keys: testJWKS, MaxAge: testMaxAge}
	var doc map[string]any
	if err := json.Unmarshal(get(t, h, http.MethodGet, PathOpenIDConfiguration).Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
		"subject_types_supported", "id_token_signing_alg_values_supported",
		"request_uri_parameter_supported", "code_challenge_methods_supported",
	} {
		if _, ok := doc[f]; !ok {
			t.Errorf("missing %s", f)
		}
	}
	if doc["issuer"] != "https://id.example.com/" {
		t.Errorf("issuer = %v, want it exactly as configured", doc["issuer"])
	}
	if doc["token_endpoint"] != "https://id.example.com/oauth2/token" {
		t.Errorf("token_endpoint = %v (trailing slash of the issuer not handled)", doc["token_endpoint"])
	}
	if doc["request_uri_parameter_supported"] != false {
		t.Errorf("request_uri_parameter_supported = %v, want false", doc["request_uri_parameter_supported"])
	}
	if _, ok := doc["registration_endpoint"]; ok {
		t.Error("registration_endpoint published without dynamic registration")
	}
}

func TestCachingAndCORSHeaders(t *testing.T) {
	t.Parallel()
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: testJWKS, MaxAge: 5 * time.Minute}
	for _, path := range []string{PathOpenIDConfiguration, PathJWKS} {
		w := get(t, h, http.MethodGet, path)
		hdr := w.Result().Header
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		for k, want := range map[string]string{
			"Cache-Control":               "public, max-age=300",
			"Access-Control-Allow-Origin": "*",
			"Content-Type":                "application/json",
		} {
			if got := hdr.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		etag := hdr.Get("ETag")
		if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 3 {
			t.Errorf("%s: ETag %q is not a strong entity tag", path, etag)
		}

		// RFC 9110 §13.1.2: If-None-Match uses weak comparison, takes a list and "*".
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			w := get(t, h, http.MethodGet, path, "If-None-Match", inm)
			if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
				t.Errorf("%s If-None-Match %s: status %d, %d body bytes; want 304, none", path, inm, w.Code, w.Body.Len())
			}
			if w.Result().Header.Get("ETag") != etag {
				t.Errorf("%s: 304 without the ETag", path)
			}
		}
		if w := get(t, h, http.MethodGet, path, "If-None-Match", `"stale"`); w.Code != http.StatusOK {
			t.Errorf("%s with a stale ETag: status %d, want 200", path, w.Code)
		}

		head := get(t, h, http.MethodHead, path)
		if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Result().Header.Get("Content-Length") != hdr.Get("Content-Length") {
			t.Errorf("%s HEAD: status %d, %d body bytes, Content-Length %q", path, head.Code, head.Body.Len(), head.Result().Header.Get("Content-Length"))
		}
	}
}

func TestMethodsAndPaths(t *testing.T) {
	t.Parallel()
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: testJWKS, MaxAge: testMaxAge}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		w := get(t, h, m, PathOpenIDConfiguration)
		if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Result().Header.Get("Allow"), "GET") {
			t.Errorf("%s: status %d, Allow %q; want 405 with Allow", m, w.Code, w.Result().Header.Get("Allow"))
		}
	}
	pre := get(t, h, http.MethodOptions, PathJWKS, "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
	if pre.Code != http.StatusNoContent || pre.Result().Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS preflight: status %d, headers %v", pre.Code, pre.Result().Header)
	}
	if w := get(t, h, http.MethodGet, "/.well-known/other"); w.Code != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", w.Code)
	}
}

func TestJWKSErrorIsGeneric(t *testing.T) {
	t.Parallel()
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: &staticKeys{err: errors.New("pq: password authentication failed for user ostiary")}, MaxAge: testMaxAge}
	w := get(t, h, http.MethodGet, PathJWKS)
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	if strings.Contains(w.Body.String(), "password") || !strings.Contains(w.Body.String(), `"error":"server_error"`) {
		t.Errorf("body %s leaks the cause or is not an OAuth error", w.Body)
	}
	if w.Result().Header.Get("Cache-Control") != "no-store" {
		t.Error("an error response is cacheable")
	}
}

// TestRealClient: go-oidc discovers the provider through Handler and
// verifies an ID token against the JWKS it serves.
func TestRealClient(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Keys: &staticKeys{body: jwks, etag: `"1"`}, MaxAge: testMaxAge}
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.Metadata = NewMetadata(srv.URL)

	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := json.Marshal(map[string]any{"iss": srv.URL, "sub": "u1", "aud": "c1", "exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	idt, err := p.Verifier(&oidc.Config{ClientID: "c1"}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc verification through the served JWKS: %v", err)
	}
	if idt.Subject != "u1" {
		t.Errorf("subject %q", idt.Subject)
	}
}

func BenchmarkDiscovery(b *testing.B) {
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: testJWKS, MaxAge: testMaxAge}
	r := httptest.NewRequest(http.MethodGet, PathOpenIDConfiguration, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkJWKS(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: &staticKeys{body: jwks, etag: `"1"`}, MaxAge: testMaxAge}
	r := httptest.NewRequest(http.MethodGet, PathJWKS, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// TestJWKSHeadersFollowKeySet: the precomputed ETag and Content-Length of
// the key set change with the key set.
func TestJWKSHeadersFollowKeySet(t *testing.T) {
	t.Parallel()
	keys := &staticKeys{body: []byte(`{"keys":[]}`), etag: `"v1"`}
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: keys, MaxAge: testMaxAge}
	for _, v := range []struct{ body, etag string }{
		{`{"keys":[]}`, `"v1"`},
		{`{"keys":[{"kid":"k2"}]}`, `"v2"`},
		{`{"keys":[{"kid":"k2"},{"kid":"k3"}]}`, `"v3"`},
	} {
		keys.body, keys.etag = []byte(v.body), v.etag
		w := get(t, h, http.MethodGet, PathJWKS)
		hdr := w.Result().Header
		if w.Body.String() != v.body || hdr.Get("ETag") != v.etag || hdr.Get("Content-Length") != strconv.Itoa(len(v.body)) {
			t.Errorf("key set %s: body %q, ETag %q, Content-Length %q", v.etag, w.Body, hdr.Get("ETag"), hdr.Get("Content-Length"))
		}
		if nm := get(t, h, http.MethodGet, PathJWKS, "If-None-Match", v.etag); nm.Code != http.StatusNotModified {
			t.Errorf("key set %s: If-None-Match with its ETag: %d, want 304", v.etag, nm.Code)
		}
	}
}

// testMaxAge is the documents' max-age in the tests that do not look at it.
const testMaxAge = 10 * time.Minute

// TestZeroMaxAgeIsRefused: the handler invents no max-age; without one it
// serves nothing, rather than a caching policy nobody chose.
func TestZeroMaxAgeIsRefused(t *testing.T) {
	h := &Handler{Metadata: NewMetadata("https://id.example.com"), Keys: testJWKS}
	for _, path := range []string{PathOpenIDConfiguration, PathJWKS} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusInternalServerError || strings.Contains(w.Header().Get("Cache-Control"), "max-age") {
			t.Errorf("%s without MaxAge: %d, Cache-Control %q; want 500 and no max-age", path, w.Code, w.Header().Get("Cache-Control"))
		}
	}
}
