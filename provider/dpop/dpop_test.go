package dpop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/dpop"
	"github.com/ostiary/ostiary/provider/dpop/dpoptest"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

const endpoint = "https://id.example/oauth2/token"

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func verifier(t *testing.T) *dpop.Verifier {
	return &dpop.Verifier{Store: sqlitetest.Open(t), Now: func() time.Time { return now }, Window: dpop.DefaultWindow}
}

func TestValidProofOfEachAlgorithm(t *testing.T) {
	v := verifier(t)
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA} {
		k := dpoptest.NewKey(t, alg)
		p, err := v.Verify(t.Context(), []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now})},
			dpop.Request{Method: "POST", URL: endpoint})
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		// RFC 9449 §6.1: the binding is the RFC 7638 SHA-256 thumbprint.
		if p.JKT != k.JKT(t) || p.Alg != string(alg) || !p.IssuedAt.Equal(now) {
			t.Errorf("%s: proof = %+v, want jkt %s", alg, p, k.JKT(t))
		}
	}
}

// TestRFC7638Thumbprint: the example key of RFC 7638 §3.1 has the
// thumbprint given there.
func TestRFC7638Thumbprint(t *testing.T) {
	var k jose.JSONWebKey
	err := k.UnmarshalJSON([]byte(`{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`))
	if err != nil {
		t.Fatal(err)
	}
	k.Algorithm, k.KeyID = "", ""
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(tp); got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Errorf("thumbprint = %s", got)
	}
}

// TestRefusedProofs: every check of RFC 9449 §4.3 refuses a proof that
// breaks it with invalid_dpop_proof.
func TestRefusedProofs(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	other := dpoptest.NewKey(t, jose.ES256)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ok := func(o dpoptest.Options) dpoptest.Options { o.IssuedAt = now; return o }
	cases := []struct {
		name    string
		headers []string
		req     dpop.Request
	}{
		{"§4.3(1) no header", nil, dpop.Request{}},
		{"§4.3(1) two headers", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{})), k.Proof(t, "POST", endpoint, ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(2) not a JWT", []string{"not.a.jwt"}, dpop.Request{}},
		{"§4.3(2) empty", []string{""}, dpop.Request{}},
		{"§4.3(2) oversized", []string{strings.Repeat("a", dpop.MaxSize) + ".b.c"}, dpop.Request{}},
		{"§4.3(4) typ JWT", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Headers: map[string]any{"typ": "JWT"}}))}, dpop.Request{}},
		{"§4.3(4) no typ", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Headers: map[string]any{"typ": nil}}))}, dpop.Request{}},
		{"§4.3(5) alg none", []string{unsigned("none")}, dpop.Request{}},
		{"§4.3(5) alg HS256", []string{hs256()}, dpop.Request{}},
		{"§4.3(5) RSA key under 2048 bits", []string{(&dpoptest.Key{Alg: jose.RS256, Signer: weak}).Proof(t, "POST", endpoint, ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(6) private jwk", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{JWK: k.Signer}))}, dpop.Request{}},
		{"§4.3(6) no jwk", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Headers: map[string]any{"jwk": nil}}))}, dpop.Request{}},
		{"§4.3(7) signed by another key than its jwk", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{JWK: ec.Public()}))}, dpop.Request{}},
		{"§4.3(3) no jti", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Claims: map[string]any{"jti": nil}}))}, dpop.Request{}},
		{"§4.3(3) no htm", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Claims: map[string]any{"htm": nil}}))}, dpop.Request{}},
		{"§4.3(3) no htu", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Claims: map[string]any{"htu": nil}}))}, dpop.Request{}},
		{"§4.3(3) no iat", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Claims: map[string]any{"iat": nil}}))}, dpop.Request{}},
		{"§4.3(3) iat a string", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{Claims: map[string]any{"iat": "now"}}))}, dpop.Request{}},
		{"§4.3(8) htm GET for POST", []string{k.Proof(t, "GET", endpoint, ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(8) htm lower case", []string{k.Proof(t, "post", endpoint, ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(9) htu another path", []string{k.Proof(t, "POST", "https://id.example/oauth2/userinfo", ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(9) htu another host", []string{k.Proof(t, "POST", "https://evil.example/oauth2/token", ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(9) htu http for https", []string{k.Proof(t, "POST", "http://id.example/oauth2/token", ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(9) htu another port", []string{k.Proof(t, "POST", "https://id.example:8443/oauth2/token", ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(9) htu relative", []string{k.Proof(t, "POST", "/oauth2/token", ok(dpoptest.Options{}))}, dpop.Request{}},
		{"§4.3(11) iat too old", []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now.Add(-dpop.DefaultWindow - time.Second)})}, dpop.Request{}},
		{"§4.3(11) iat in the future", []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now.Add(dpop.DefaultWindow + 2*time.Second)})}, dpop.Request{}},
		{"§4.3(12)/§7.1 no ath with a token", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{}))}, dpop.Request{AccessToken: "at"}},
		{"§4.3(12)/§7.1 ath of another token", []string{k.Proof(t, "POST", endpoint, ok(dpoptest.Options{AccessToken: "other"}))}, dpop.Request{AccessToken: "at"}},
		{"§4.3(12)/§7.1 another key than the token's", []string{other.Proof(t, "POST", endpoint, ok(dpoptest.Options{}))}, dpop.Request{JKT: k.JKT(t)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := verifier(t)
			c.req.Method, c.req.URL = "POST", endpoint
			_, err := v.Verify(t.Context(), c.headers, c.req)
			if !errors.Is(err, dpop.ErrInvalidProof) {
				t.Fatalf("Verify = %v, want ErrInvalidProof", err)
			}
		})
	}
}

// TestReplayRefused: RFC 9449 §11.1, a proof's jti is accepted once; a
// refused proof does not use it up.
func TestReplayRefused(t *testing.T) {
	v := verifier(t)
	k := dpoptest.NewKey(t, jose.EdDSA)
	proof := k.Proof(t, "GET", "https://id.example/oauth2/userinfo", dpoptest.Options{IssuedAt: now, AccessToken: "at"})
	req := dpop.Request{Method: "GET", URL: "https://id.example/oauth2/userinfo", AccessToken: "at"}
	if _, err := v.Verify(t.Context(), []string{proof}, dpop.Request{Method: "GET", URL: req.URL, AccessToken: "other"}); !errors.Is(err, dpop.ErrInvalidProof) {
		t.Fatalf("wrong ath: %v", err)
	}
	if _, err := v.Verify(t.Context(), []string{proof}, req); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := v.Verify(t.Context(), []string{proof}, req); !errors.Is(err, dpop.ErrInvalidProof) {
		t.Fatalf("replay: %v, want ErrInvalidProof", err)
	}
}

type failing struct{}

func (failing) UseDPoPProof(context.Context, []byte, time.Time, time.Time) error {
	return storage.ErrUnavailable
}

// TestStoreFailureIsNotAnInvalidProof: the client's proof was fine.
func TestStoreFailureIsNotAnInvalidProof(t *testing.T) {
	v := &dpop.Verifier{Store: failing{}, Now: func() time.Time { return now }, Window: time.Minute}
	k := dpoptest.NewKey(t, jose.ES256)
	_, err := v.Verify(t.Context(), []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now})}, dpop.Request{Method: "POST", URL: endpoint})
	if errors.Is(err, dpop.ErrInvalidProof) || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Verify = %v, want ErrUnavailable", err)
	}
}

// TestSameURI: RFC 9449 §4.3 step 9 compares without query and fragment,
// after RFC 3986 §6.2.2 and §6.2.3 normalization.
func TestSameURI(t *testing.T) {
	for _, c := range []struct {
		htu  string
		same bool
	}{
		{"https://id.example/oauth2/token", true},
		{"https://id.example/oauth2/token?x=1", true},
		{"https://id.example/oauth2/token#f", true},
		{"HTTPS://ID.EXAMPLE/oauth2/token", true},
		{"https://id.example:443/oauth2/token", true},
		{"https://id.example/oauth2/%74oken", true},
		{"https://id.example/OAUTH2/token", false},
		{"https://id.example/oauth2/token/", false},
		{"https://id.example:444/oauth2/token", false},
		{"https://user@id.example/oauth2/token", false},
		{"ftp://id.example/oauth2/token", false},
	} {
		if got := dpop.SameURI(c.htu, endpoint); got != c.same {
			t.Errorf("SameURI(%q) = %v, want %v", c.htu, got, c.same)
		}
	}
	if !dpop.SameURI("http://[::1]/x", "http://[::1]:80/x") || !dpop.SameURI("http://h", "http://h/") {
		t.Error("default port or empty path not normalized")
	}
}

func unsigned(alg string) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"dpop+jwt","alg":"` + alg + `"}`))
	c := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"j","htm":"POST","htu":"` + endpoint + `","iat":` + strconv.FormatInt(now.Unix(), 10) + `}`))
	return h + "." + c + "."
}

func hs256() string {
	s := strings.TrimSuffix(unsigned("HS256"), ".")
	m := hmac.New(sha256.New, []byte("secret"))
	m.Write([]byte(s))
	return s + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestNonces: RFC 9449 §8, with nonces on a proof without the server's
// nonce, or with a stale or forged one, is ErrUseNonce (use_dpop_nonce) and
// does not use up its jti; the current and the previous period's nonce pass.
func TestNonces(t *testing.T) {
	v := verifier(t)
	v.Nonces = &dpop.Nonces{Secret: []byte("0123456789abcdef0123456789abcdef"), Period: dpop.DefaultNoncePeriod}
	k := dpoptest.NewKey(t, jose.ES256)
	req := dpop.Request{Method: "POST", URL: endpoint}
	for name, nonce := range map[string]string{
		"none":         "",
		"forged":       "bm9uY2U",
		"stale":        v.Nonces.Current(now.Add(-2 * dpop.DefaultNoncePeriod)),
		"future":       v.Nonces.Current(now.Add(dpop.DefaultNoncePeriod)),
		"other secret": (&dpop.Nonces{Secret: []byte("another-secret-another-secret-00"), Period: dpop.DefaultNoncePeriod}).Current(now),
	} {
		_, err := v.Verify(t.Context(), []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now, Nonce: nonce, JTI: "j-" + name})}, req)
		if !errors.Is(err, dpop.ErrUseNonce) {
			t.Errorf("nonce %s: %v, want ErrUseNonce", name, err)
		}
	}
	for name, nonce := range map[string]string{
		"current":  v.Nonces.Current(now),
		"previous": v.Nonces.Current(now.Add(-dpop.DefaultNoncePeriod)),
	} {
		if _, err := v.Verify(t.Context(), []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now, Nonce: nonce})}, req); err != nil {
			t.Errorf("nonce %s: %v", name, err)
		}
	}
	// The refused proofs' jtis were not remembered.
	if _, err := v.Verify(t.Context(), []string{k.Proof(t, "POST", endpoint, dpoptest.Options{IssuedAt: now, Nonce: v.Nonces.Current(now), JTI: "j-none"})}, req); err != nil {
		t.Errorf("jti of a proof refused for its nonce: %v", err)
	}
}
