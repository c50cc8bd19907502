package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/storage"
)

// ---------------------------------------------------------------------------
// Fakes for what other packages provide: keys, browser session, pages.

// testRSAKeys are generated once per test binary: RSA generation is slow.
var testRSAKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 2)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// testOtherKeys are the ES256 ("e1") and EdDSA ("d1") test keys.
var testOtherKeys = sync.OnceValue(func() map[string]crypto.Signer {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{"e1": ec, "d1": ed}
})

// otherAlgs names the kid of the ES256 and the EdDSA test key.
var otherAlgs = map[string]string{"ES256": "e1", "EdDSA": "d1"}

// fakeKeys signs with one of the test keys and publishes a set of them,
// and signs ES256 with e1 and EdDSA with d1 (always published).
type fakeKeys struct {
	mu        sync.Mutex
	signing   string
	keys      map[string]*rsa.PrivateKey
	published map[string]bool
}

func (k *fakeKeys) SigningKey(ctx context.Context, alg string) (string, crypto.Signer, error) {
	if alg == "RS256" {
		return k.Signing(ctx)
	}
	kid, ok := otherAlgs[alg]
	if !ok {
		return "", nil, fmt.Errorf("no %s key", alg)
	}
	return kid, testOtherKeys()[kid], nil
}

func (k *fakeKeys) VerificationKey(ctx context.Context, kid string) (string, crypto.PublicKey, error) {
	for alg, id := range otherAlgs {
		if id == kid {
			return alg, testOtherKeys()[kid].Public(), nil
		}
	}
	pub, err := k.PublicKey(ctx, kid)
	if err != nil {
		return "", nil, err
	}
	return "RS256", pub, nil
}

func newFakeKeys() *fakeKeys {
	ks := testRSAKeys()
	return &fakeKeys{
		signing:   "k1",
		keys:      map[string]*rsa.PrivateKey{"k1": ks[0], "k2": ks[1]},
		published: map[string]bool{"k1": true, "k2": true},
	}
}

func (k *fakeKeys) Signing(context.Context) (string, *rsa.PrivateKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.signing, k.keys[k.signing], nil
}

func (k *fakeKeys) PublicKey(_ context.Context, kid string) (*rsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.published[kid] {
		return nil, fmt.Errorf("unknown key %q", kid)
	}
	return &k.keys[kid].PublicKey, nil
}

func (k *fakeKeys) rotate(kid string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.signing = kid
}

func (k *fakeKeys) unpublish(kid string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.published[kid] = false
}

func (k *fakeKeys) jwks() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	var set jose.JSONWebKeySet
	for kid, key := range k.keys {
		if k.published[kid] {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
	}
	for alg, kid := range otherAlgs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: testOtherKeys()[kid].Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	}
	b, _ := json.Marshal(set)
	return b
}

const sessionCookie = "test_session"

// fakeBrowser finds the session named by a cookie.
type fakeBrowser struct {
	mu       sync.Mutex
	sessions map[string]storage.Session
	// reads counts calls of Current.
	reads int
}

func (b *fakeBrowser) Current(r *http.Request) (storage.Session, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return storage.Session{}, false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reads++
	s, ok := b.sessions[c.Value]
	return s, ok, nil
}

func (b *fakeBrowser) put(s storage.Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions[s.ID] = s
}

// fakePages renders errors as minimal HTML and remembers the last one.
type fakePages struct {
	mu     sync.Mutex
	status int
	title  string
}

func (p *fakePages) RenderError(w http.ResponseWriter, _ *http.Request, status int, title, detail string) {
	p.mu.Lock()
	p.status, p.title = status, title
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<h1>%s</h1><p>%s</p>", html.EscapeString(title), html.EscapeString(detail))
}

// testClock is real time plus an offset tests can advance: fosite reads
// time.Now itself, so the provider's clock must stay near it.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}
