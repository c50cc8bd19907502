package keys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

var allAlgs = []string{keys.AlgRS256, keys.AlgES256, keys.AlgEdDSA}

func newAllAlgsManager(tb testing.TB, store *memStore, c *clock) *keys.Manager {
	tb.Helper()
	m := newManager(tb, store, c)
	m.Algorithms = allAlgs
	if err := m.Ensure(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return m
}

// rawJWKS is the JWKS document as a verifier sees it: member by member.
func rawJWKS(t *testing.T, m *keys.Manager) map[string]map[string]string {
	t.Helper()
	body, _, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("JWKS %s: %v", body, err)
	}
	out := map[string]map[string]string{}
	for _, k := range doc.Keys {
		out[k["kid"]] = k
	}
	return out
}

func signWith(t *testing.T, alg, kid string, key crypto.Signer) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"sub":"u1"}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifyAny checks a token as our own endpoints do: the kid's key, and only
// the alg that key is for.
func verifyAny(t *testing.T, m *keys.Manager, token string) error {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Header
	alg, pub, err := m.VerificationKey(context.Background(), h.KeyID)
	if err != nil {
		return err
	}
	if alg != h.Algorithm {
		return errors.New("alg does not match the key")
	}
	_, err = jws.Verify(pub)
	return err
}

// Each algorithm gets its own key, published as RFC 7518 §6.2 (EC) and RFC
// 8037 §2 (OKP) say, with its alg and use, and no private members.
func TestJWKSPublishesEveryAlgorithm(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	m := newAllAlgsManager(t, store, c)
	if n := len(store.snapshot().Keys); n != 3 {
		t.Fatalf("Ensure with three algorithms made %d keys", n)
	}
	jwks := rawJWKS(t, m)
	want := map[string]map[string]string{
		keys.AlgRS256: {"kty": "RSA", "alg": "RS256", "use": "sig"},
		keys.AlgES256: {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"},
		keys.AlgEdDSA: {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"},
	}
	for _, alg := range allAlgs {
		kid, priv, err := m.SigningKey(context.Background(), alg)
		if err != nil {
			t.Fatalf("SigningKey(%s): %v", alg, err)
		}
		k, ok := jwks[kid]
		if !ok {
			t.Fatalf("%s key %s is not in the JWKS %v", alg, kid, jwks)
		}
		for name, v := range want[alg] {
			if k[name] != v {
				t.Errorf("%s JWK %s = %q, want %q", alg, name, k[name], v)
			}
		}
		if _, ok := k["d"]; ok {
			t.Errorf("%s JWK publishes its private member d", alg)
		}
		switch alg {
		case keys.AlgES256:
			ec, ok := priv.(*ecdsa.PrivateKey)
			if !ok || ec.Curve != elliptic.P256() {
				t.Fatalf("ES256 key is %T", priv)
			}
			// RFC 7518 §6.2.1.2: x and y are the full 32 octets of P-256.
			for _, c := range []string{"x", "y"} {
				if len(k[c]) != 43 {
					t.Errorf("ES256 JWK %s = %q, want 32 octets base64url", c, k[c])
				}
			}
		case keys.AlgEdDSA:
			if _, ok := priv.(ed25519.PrivateKey); !ok {
				t.Fatalf("EdDSA key is %T", priv)
			}
			if len(k["x"]) != 43 || k["y"] != "" {
				t.Errorf("Ed25519 JWK x=%q y=%q, want 32 octets x and no y (RFC 8037 §2)", k["x"], k["y"])
			}
		}
		if err := verifyAny(t, m, signWith(t, alg, kid, priv)); err != nil {
			t.Errorf("%s token does not verify under its published key: %v", alg, err)
		}
	}
	// The RS256 API still answers with the RS256 key alone.
	rsKid, _ := mustSigning(t, m)
	if jwks[rsKid]["kty"] != "RSA" {
		t.Errorf("Signing returned %s, not the RSA key", rsKid)
	}
	esKid, _, _ := m.SigningKey(context.Background(), keys.AlgES256)
	if _, err := m.PublicKey(context.Background(), esKid); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("PublicKey (RSA only) of the EC key: %v, want ErrUnknownKey", err)
	}
	// A second start adds nothing.
	m2 := newManager(t, store, c)
	m2.Algorithms = allAlgs
	if err := m2.Ensure(context.Background()); err != nil || len(store.snapshot().Keys) != 3 {
		t.Errorf("second Ensure: %v, %d keys", err, len(store.snapshot().Keys))
	}
}

// An algorithm the set does not keep is ErrNoSigningKey; a configuration
// without RS256 first, or with an unknown algorithm, is refused.
func TestAlgorithmsConfiguration(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SigningKey(context.Background(), keys.AlgES256); !errors.Is(err, keys.ErrNoSigningKey) {
		t.Errorf("ES256 from an RS256-only set: %v, want ErrNoSigningKey", err)
	}
	if got := m.SigningAlgorithms(); !slices.Equal(got, []string{"RS256"}) {
		t.Errorf("default SigningAlgorithms = %v", got)
	}
	for _, bad := range [][]string{{"ES256"}, {"RS256", "HS256"}, {"RS256", "ES256", "ES256"}, {"RS256", "none"}} {
		m := newManager(t, &memStore{}, c)
		m.Algorithms = bad
		if err := m.Ensure(context.Background()); err == nil {
			t.Errorf("Algorithms %v accepted", bad)
		}
	}
	// Turning ES256 on later adds its key, signing at once, and leaves the
	// RSA key as it was.
	rsKid, _ := mustSigning(t, m)
	m2 := newManager(t, store, c)
	m2.Algorithms = []string{keys.AlgRS256, keys.AlgES256}
	if err := m2.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if kid, _ := mustSigning(t, m2); kid != rsKid {
		t.Errorf("enabling ES256 changed the RSA signing key")
	}
	if _, _, err := m2.SigningKey(context.Background(), keys.AlgES256); err != nil {
		t.Errorf("ES256 after enabling it: %v", err)
	}
}

func lane(set storage.KeySet, alg string) []storage.SigningKey {
	var out []storage.SigningKey
	for _, k := range set.Keys {
		if k.Algorithm == alg {
			out = append(out, k)
		}
	}
	return out
}

// Rotation runs per algorithm, on the same schedule as the RSA keys: the
// new EC key is published first, signs after PrePublish, and the old one
// stays published for Retention.
func TestRotateECKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newAllAlgsManager(t, store, c)
	oldKid, oldKey, _ := m.SigningKey(ctx, keys.AlgES256)
	oldToken := signWith(t, keys.AlgES256, oldKid, oldKey)
	added, err := m.RotateAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 3 || added[1].Algorithm != keys.AlgES256 || added[2].Algorithm != keys.AlgEdDSA {
		t.Fatalf("RotateAll added %+v", added)
	}
	newKid := added[1].ID
	if kid, _, _ := m.SigningKey(ctx, keys.AlgES256); kid != oldKid {
		t.Errorf("ES256 signs with %s during pre-publication, want the old %s", kid, oldKid)
	}
	if _, ok := rawJWKS(t, m)[newKid]; !ok {
		t.Errorf("new ES256 key not pre-published")
	}
	c.Advance(testPrePublish)
	if kid, _, _ := m.SigningKey(ctx, keys.AlgES256); kid != newKid {
		t.Errorf("after pre-publication ES256 signs with %s, want %s", kid, newKid)
	}
	if err := verifyAny(t, m, oldToken); err != nil {
		t.Errorf("token of the retired EC key: %v", err)
	}
	c.Advance(testRetention)
	if err := verifyAny(t, m, oldToken); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("token of an EC key past retention: %v, want ErrUnknownKey", err)
	}
	// The schedule rotates each lane that is due.
	log := &auditLog{}
	s := &keys.Schedule{Manager: m, Interval: testInterval, Audit: log, NewID: func() string { return "e" }}
	c.Advance(testInterval)
	if _, rotated, err := s.Check(ctx); err != nil || !rotated {
		t.Fatalf("scheduled rotation: %v %v", rotated, err)
	}
	if got := log.types(); len(got) != 3 {
		t.Errorf("a scheduled rotation of three lanes audited %v", got)
	}
	if n := len(lane(store.snapshot(), keys.AlgEdDSA)); n != 2 {
		t.Errorf("EdDSA lane holds %d keys after its second rotation (one past retention dropped), want 2", n)
	}
}

// Revoking the signing EC key takes it out of the JWKS at once and puts a
// new EC key in its place; the RSA and Ed25519 keys are untouched.
func TestRevokeECKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newAllAlgsManager(t, store, c)
	rsKid, _ := mustSigning(t, m)
	edKid, _, _ := m.SigningKey(ctx, keys.AlgEdDSA)
	ecKid, ecKey, _ := m.SigningKey(ctx, keys.AlgES256)
	token := signWith(t, keys.AlgES256, ecKid, ecKey)
	out, err := m.Revoke(ctx, ecKid)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyAny(t, m, token); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("token of the revoked EC key: %v, want ErrUnknownKey", err)
	}
	jwks := rawJWKS(t, m)
	if _, ok := jwks[ecKid]; ok {
		t.Error("revoked EC key still published")
	}
	if jwks[out.Replacement]["kty"] != "EC" {
		t.Errorf("replacement %q is %v, want an EC key", out.Replacement, jwks[out.Replacement])
	}
	if kid, _, _ := m.SigningKey(ctx, keys.AlgES256); kid != out.Replacement {
		t.Errorf("ES256 signs with %s, want the replacement %s", kid, out.Replacement)
	}
	if kid, _ := mustSigning(t, m); kid != rsKid {
		t.Error("revoking the EC key changed the RSA signing key")
	}
	if kid, _, _ := m.SigningKey(ctx, keys.AlgEdDSA); kid != edKid {
		t.Error("revoking the EC key changed the Ed25519 signing key")
	}
	for _, k := range store.snapshot().Keys {
		if k.ID == rsKid || k.ID == edKid {
			if !k.RetiredAt.IsZero() {
				t.Errorf("key %s (%s) retired by the EC revocation", k.ID, k.Algorithm)
			}
		}
	}
}

// A key of an algorithm dropped from the configuration stops signing at the
// next rotation and leaves the JWKS after Retention.
func TestDroppedAlgorithmRetires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	newAllAlgsManager(t, store, c)
	m := newManager(t, store, c) // RS256 only now
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range lane(store.snapshot(), keys.AlgEdDSA) {
		if !k.RetiredAt.Equal(c.Now()) {
			t.Errorf("EdDSA key of a dropped algorithm: retired at %v, want now", k.RetiredAt)
		}
	}
	c.Advance(testRetention + time.Second)
	for kid, k := range rawJWKS(t, m) {
		if k["kty"] != "RSA" {
			t.Errorf("key %s (%s) of a dropped algorithm still published", kid, k["alg"])
		}
	}
}
