package keys_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

func mustSigning(t *testing.T, m *keys.Manager) (string, *rsa.PrivateKey) {
	t.Helper()
	kid, key, err := m.Signing(context.Background())
	if err != nil {
		t.Fatalf("Signing: %v", err)
	}
	return kid, key
}

func jwksKids(t *testing.T, m *keys.Manager) []string {
	t.Helper()
	body, _, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("JWKS body: %v", err)
	}
	var kids []string
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.Algorithm != "RS256" {
			t.Errorf("JWKS key %s: public=%v use=%q alg=%q", k.KeyID, k.IsPublic(), k.Use, k.Algorithm)
		}
		kids = append(kids, k.KeyID)
	}
	return kids
}

func sign(t *testing.T, kid string, key *rsa.PrivateKey) string {
	t.Helper()
	return signWith(t, keys.AlgRS256, kid, key)
}

// verify checks a compact JWS the way a verifier holding our keys would:
// look the kid up, then check the signature with that public key.
func verify(t *testing.T, m *keys.Manager, token string) error {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := m.PublicKey(context.Background(), jws.Signatures[0].Header.KeyID)
	if err != nil {
		return err
	}
	_, err = jws.Verify(pub)
	return err
}

func TestEnsureFirstKeySignsAtOnce(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if _, _, err := m.Signing(context.Background()); !errors.Is(err, keys.ErrNoSigningKey) {
		t.Fatalf("Signing before Ensure: %v, want ErrNoSigningKey", err)
	}
	if err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	kid, key := mustSigning(t, m)
	if key.N.BitLen() != keys.DefaultBits {
		t.Errorf("key size %d, want %d", key.N.BitLen(), keys.DefaultBits)
	}
	if got := jwksKids(t, m); len(got) != 1 || got[0] != kid {
		t.Errorf("JWKS kids = %v, want [%s]", got, kid)
	}
	// A second start finds the key and adds nothing.
	if err := newManager(t, store, c).Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	set := store.snapshot()
	if len(set.Keys) != 1 || set.Version != 1 {
		t.Fatalf("after two Ensure: %d keys, version %d; want 1, 1", len(set.Keys), set.Version)
	}
	k := set.Keys[0]
	if !k.ActiveFrom.Equal(c.Now()) || !k.RetiredAt.IsZero() || !k.UnpublishAt.IsZero() || k.Algorithm != "RS256" {
		t.Errorf("first key schedule: %+v", k)
	}
}

func TestPrivateKeySealedAtRest(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, key := mustSigning(t, m)
	rec := store.snapshot().Keys[0]
	if _, err := x509.ParsePKCS8PrivateKey(rec.PrivateKey); err == nil {
		t.Error("stored private key parses as plain PKCS#8")
	}
	der, err := testSealer(t, 1).Open(rec.PrivateKey, []byte(rec.ID))
	if err != nil {
		t.Fatalf("stored key does not open under its kid: %v", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil || !key.Equal(parsed) {
		t.Fatalf("stored key is not the signing key in PKCS#8: %v", err)
	}
	// A replica configured with another system secret fails at startup,
	// not at the first token request.
	other := newManager(t, store, c)
	other.Sealer = testSealer(t, 2)
	if err := other.Ensure(context.Background()); err == nil {
		t.Error("Ensure with the wrong system secret succeeded")
	}
}

// TestRotationSchedule walks one key's life: published before it signs,
// signing after PrePublish, the old key verifying until Retention passes.
func TestRotationSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	oldKid, oldKey := mustSigning(t, m)
	c.Advance(time.Minute)
	rotatedAt := c.Now()
	added, err := m.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if added.PrivateKey != nil {
		t.Error("Rotate returned the sealed private key")
	}
	if want := rotatedAt.Add(testPrePublish); !added.ActiveFrom.Equal(want) {
		t.Errorf("new key ActiveFrom = %v, want %v", added.ActiveFrom, want)
	}
	beforeRotation := sign(t, oldKid, oldKey)

	// Published at once, but the old key signs until PrePublish passes.
	if kid, _ := mustSigning(t, m); kid != oldKid {
		t.Errorf("right after Rotate, signing kid = %s, want the old %s", kid, oldKid)
	}
	if got := jwksKids(t, m); len(got) != 2 || got[0] != added.ID || got[1] != oldKid {
		t.Errorf("JWKS kids = %v, want [%s %s]", got, added.ID, oldKid)
	}
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].State != keys.StateNext || list[1].State != keys.StateSigning {
		t.Errorf("List before switch = %+v", list)
	}

	c.Advance(testPrePublish - time.Nanosecond)
	if kid, _ := mustSigning(t, m); kid != oldKid {
		t.Errorf("just before ActiveFrom, signing kid = %s, want %s", kid, oldKid)
	}
	c.Advance(time.Nanosecond)
	if kid, _ := mustSigning(t, m); kid != added.ID {
		t.Errorf("at ActiveFrom, signing kid = %s, want the new %s", kid, added.ID)
	}
	old := store.snapshot().Keys[0]
	if !old.RetiredAt.Equal(added.ActiveFrom) || !old.UnpublishAt.Equal(added.ActiveFrom.Add(testRetention)) {
		t.Errorf("old key RetiredAt %v UnpublishAt %v; want %v and +%v", old.RetiredAt, old.UnpublishAt, added.ActiveFrom, testRetention)
	}
	list, _ = m.List(ctx)
	if list[0].State != keys.StateSigning || list[1].State != keys.StateRetired {
		t.Errorf("List after switch = %+v", list)
	}

	// A token signed before the rotation verifies while the old key is published.
	c.Advance(testRetention - time.Nanosecond)
	if err := verify(t, m, beforeRotation); err != nil {
		t.Errorf("token signed before rotation, within Retention: %v", err)
	}
	if got := jwksKids(t, m); len(got) != 2 {
		t.Errorf("JWKS just before UnpublishAt = %v, want both keys", got)
	}
	c.Advance(time.Nanosecond)
	if got := jwksKids(t, m); len(got) != 1 || got[0] != added.ID {
		t.Errorf("JWKS after Retention = %v, want only %s", got, added.ID)
	}
	if err := verify(t, m, beforeRotation); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("old key after Retention: %v, want ErrUnknownKey", err)
	}

	// The next rotation drops the unpublished key from the store.
	if _, err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range store.snapshot().Keys {
		if k.ID == oldKid {
			t.Error("unpublished key still stored after the next rotation")
		}
	}
}

func TestConcurrentEnsureMakesOneKey(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	store.beforeWrite = barrier(2)
	a, b := newManager(t, store, c), newManager(t, store, c)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []*keys.Manager{a, b} {
		wg.Go(func() { errs[i] = m.Ensure(context.Background()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if set := store.snapshot(); len(set.Keys) != 1 {
		t.Fatalf("two concurrent Ensure left %d keys, want 1", len(set.Keys))
	}
	if n := store.conflicts.Load(); n != 1 {
		t.Errorf("conflicts = %d, want 1 (both replicas raced to write)", n)
	}
	ka, _ := mustSigning(t, a)
	kb, _ := mustSigning(t, b)
	if ka != kb {
		t.Errorf("replicas sign with %s and %s", ka, kb)
	}
}

func TestConcurrentRotateKeepsEveryKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	a, b := newManager(t, store, c), newManager(t, store, c)
	if err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := mustSigning(t, a)
	store.beforeWrite = barrier(2)
	var wg sync.WaitGroup
	added := make([]storage.SigningKey, 2)
	errs := make([]error, 2)
	for i, m := range []*keys.Manager{a, b} {
		wg.Go(func() { added[i], errs[i] = m.Rotate(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if store.conflicts.Load() == 0 {
		t.Error("the two rotations did not collide; the test proves nothing")
	}
	set := store.snapshot()
	have := map[string]storage.SigningKey{}
	for _, k := range set.Keys {
		have[k.ID] = k
	}
	if len(have) != 3 || have[first].ID == "" || have[added[0].ID].ID == "" || have[added[1].ID].ID == "" {
		t.Fatalf("after two rotations the set holds %d keys %v; want the first and both new ones", len(have), have)
	}
	// Exactly one key is left to sign next; every other one is scheduled out.
	tips, tip := 0, ""
	for _, k := range set.Keys {
		if k.RetiredAt.IsZero() {
			tips, tip = tips+1, k.ID
		} else if k.UnpublishAt.IsZero() {
			t.Errorf("key %s retired without UnpublishAt", k.ID)
		}
	}
	if tips != 1 {
		t.Errorf("%d keys without RetiredAt, want 1", tips)
	}
	// Both replicas agree on the signer: the first key until PrePublish
	// passes, then the last key written. Both new keys became active at the
	// same instant; the one retired at that instant never signs.
	for _, step := range []struct {
		after time.Duration
		want  string
	}{{0, first}, {testPrePublish, tip}} {
		c.Advance(step.after)
		ka, _ := mustSigning(t, a)
		kb, _ := mustSigning(t, b)
		if ka != step.want || kb != step.want {
			t.Errorf("+%v: replicas sign with %s and %s, want %s", step.after, ka, kb, step.want)
		}
	}
}

// TestRotationSeenByOtherReplica: B learns of A's rotation by its periodic
// re-read (no store read on the hot path before then), and at once when
// asked for the new kid.
func TestRotationSeenByOtherReplica(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	a, b := newManager(t, store, c), newManager(t, store, c)
	a.PrePublish, b.PrePublish = 10*time.Second, 10*time.Second
	if err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	oldKid, _ := mustSigning(t, b)
	added, err := a.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}

	reads := store.reads.Load()
	c.Advance(15 * time.Second) // past the new key's ActiveFrom, not past B's refresh
	if kid, _ := mustSigning(t, b); kid != oldKid {
		t.Errorf("B signs with %s before its refresh, want the cached %s", kid, oldKid)
	}
	if n := store.reads.Load() - reads; n != 0 {
		t.Errorf("B's Signing read the store %d times before RefreshInterval", n)
	}
	c.Advance(testRefresh - 15*time.Second)
	if kid, _ := mustSigning(t, b); kid != added.ID {
		t.Errorf("B signs with %s after RefreshInterval, want %s", kid, added.ID)
	}
	if n := store.reads.Load() - reads; n != 1 {
		t.Errorf("B's refresh read the store %d times, want 1", n)
	}

	// A third replica, warm before the next rotation, verifies the new key at once.
	d := newManager(t, store, c)
	if err := d.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	next, err := a.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.PublicKey(ctx, next.ID); err != nil {
		t.Errorf("D.PublicKey(new kid) right after A's rotation: %v", err)
	}
}

func TestUnknownKidReadsAreRateLimited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	reads := store.reads.Load()
	for i, want := range []int64{1, 1, 1} {
		if _, err := m.PublicKey(ctx, "made-up"); !errors.Is(err, keys.ErrUnknownKey) {
			t.Fatalf("PublicKey(made-up): %v, want ErrUnknownKey", err)
		}
		if got := store.reads.Load() - reads; got != want {
			t.Errorf("after %d lookups within a second: %d store reads, want %d", i+1, got, want)
		}
		c.Advance(300 * time.Millisecond)
	}
	c.Advance(100 * time.Millisecond)
	if _, err := m.PublicKey(ctx, "made-up"); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatal(err)
	}
	if got := store.reads.Load() - reads; got != 2 {
		t.Errorf("a second later: %d store reads, want 2", got)
	}
}

func TestSigningServesCacheWhenStoreFails(t *testing.T) {
	t.Parallel()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	kid, _ := mustSigning(t, m)
	store.failGet.Store(true)
	c.Advance(testRefresh)
	if got, _ := mustSigning(t, m); got != kid {
		t.Errorf("during an outage signing kid = %s, want cached %s", got, kid)
	}
	// The failed read is retried after a pause, not on every call.
	reads := store.reads.Load()
	mustSigning(t, m)
	if store.reads.Load() != reads {
		t.Error("a failed refresh is retried on the very next call")
	}
	// A cold manager has nothing to fall back on and reports the error.
	if _, _, err := newManager(t, store, c).Signing(context.Background()); err == nil {
		t.Error("cold Signing with the store down succeeded")
	}
}

func TestSigningWarmDoesNotAllocate(t *testing.T) {
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	reads := store.reads.Load()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := m.Signing(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("warm Signing allocates %.1f times per call, want 0", allocs)
	}
	if store.reads.Load() != reads {
		t.Error("warm Signing read the store")
	}
}

func TestJWKSETag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, c := &memStore{}, newClock()
	m := newManager(t, store, c)
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	body1, etag1, err := m.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body2, etag2, _ := m.JWKS(ctx)
	if etag1 != etag2 || &body1[0] != &body2[0] {
		t.Error("JWKS rebuilt for an unchanged key set")
	}
	if len(etag1) < 3 || etag1[0] != '"' || etag1[len(etag1)-1] != '"' {
		t.Errorf("ETag %s is not a strong entity tag", etag1)
	}
	if _, err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, etag3, _ := m.JWKS(ctx); etag3 == etag1 {
		t.Error("ETag unchanged after rotation")
	}
}

func TestManagerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	m := newManager(t, &memStore{}, newClock())
	m.Bits = 1024
	m.Retention = -time.Second
	err := m.Ensure(context.Background())
	if err == nil {
		t.Fatal("Ensure with Bits=1024 succeeded")
	}
	if _, err := m.Rotate(context.Background()); err == nil {
		t.Error("Rotate with Bits=1024 succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "Bits") || !strings.Contains(msg, "Retention") {
		t.Errorf("error %q does not name every bad field", msg)
	}
}
