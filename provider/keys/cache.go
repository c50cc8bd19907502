package keys

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyState is one immutable snapshot of the key set. A refresh that finds
// the same version makes a new snapshot sharing keys, byID and jwks.
type keyState struct {
	version int64
	// keys are ordered newerFirst.
	keys []*cachedKey
	byID map[string]*cachedKey
	// nextRead is when the store should be read again.
	nextRead time.Time
	jwks     *jwksCache
}

// jwksCache holds the serialized JWKS of one key set version. Which keys are
// published also depends on the clock, so a document is valid between two
// UnpublishAt boundaries.
type jwksCache struct {
	doc atomic.Pointer[jwksDoc]
}

type jwksDoc struct {
	body              []byte
	etag              string
	validFrom, before time.Time // before is zero when no boundary lies ahead
}

func (s *keyState) signing(alg string, now time.Time) *cachedKey {
	for _, k := range s.keys {
		if algOf(k.rec) == alg && signsAt(k.rec, now) {
			return k
		}
	}
	return nil
}

// state returns the cached key set, re-reading the store when it is due.
// Only one caller reads; the others keep using the previous snapshot rather
// than wait, so the hot path never queues behind the database.
func (m *Manager) state(ctx context.Context, now time.Time) (*keyState, error) {
	st := m.cache.Load()
	if st != nil && now.Before(st.nextRead) {
		return st, nil
	}
	if st == nil {
		m.mu.Lock()
	} else if !m.mu.TryLock() {
		return st, nil
	}
	defer m.mu.Unlock()
	if cur := m.cache.Load(); cur != nil && now.Before(cur.nextRead) {
		return cur, nil
	}
	fresh, err := m.readLocked(ctx, now)
	if err == nil {
		return fresh, nil
	}
	if st == nil {
		return nil, err
	}
	// Keep serving the keys we have: they were valid a RefreshInterval ago,
	// and a short database outage should not stop token signing or the JWKS.
	if m.Logger != nil {
		m.Logger.WarnContext(ctx, "signing key set refresh failed; serving the cached set",
			"version", st.version, "error", err)
	}
	stale := *st
	stale.nextRead = now.Add(retryReadAfter)
	m.cache.Store(&stale)
	return &stale, nil
}

// reload reads the store now, whatever the cache holds.
func (m *Manager) reload(ctx context.Context, now time.Time) (*keyState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.readLocked(ctx, now)
}

// readLocked reads the key set and replaces the cache. Keys already parsed
// (by kid) are reused, so each private key is opened once per process.
func (m *Manager) readLocked(ctx context.Context, now time.Time) (*keyState, error) {
	set, err := m.Store.GetKeySet(ctx)
	if err != nil {
		return nil, fmt.Errorf("read key set: %w", err)
	}
	prev := m.cache.Load()
	next := now.Add(m.refreshInterval())
	if prev != nil && prev.version == set.Version && set.Version != 0 {
		same := *prev
		same.nextRead = next
		m.cache.Store(&same)
		return &same, nil
	}
	recs := slices.Clone(set.Keys)
	slices.SortFunc(recs, newerFirst)
	st := &keyState{
		version:  set.Version,
		keys:     make([]*cachedKey, 0, len(recs)),
		byID:     make(map[string]*cachedKey, len(recs)),
		nextRead: next,
		jwks:     &jwksCache{},
	}
	for _, rec := range recs {
		withPrivate := mayStillSign(rec, now)
		var k *cachedKey
		if old := prev.lookup(rec.ID); old != nil && (old.priv != nil || !withPrivate) {
			// Same key; only its schedule may have changed.
			reused := *old
			reused.rec = rec
			k = &reused
		} else if k, err = parseKey(rec, withPrivate, m.Sealer); err != nil {
			return nil, fmt.Errorf("key set version %d: %w", set.Version, err)
		}
		st.keys = append(st.keys, k)
		st.byID[rec.ID] = k
	}
	m.cache.Store(st)
	return st, nil
}

func (s *keyState) lookup(kid string) *cachedKey {
	if s == nil {
		return nil
	}
	return s.byID[kid]
}

// Signing returns the RS256 key that signs now. After warm-up it is
// answered from memory without allocating; the store is re-read every
// RefreshInterval.
func (m *Manager) Signing(ctx context.Context) (kid string, key *rsa.PrivateKey, err error) {
	kid, priv, err := m.SigningKey(ctx, AlgRS256)
	if err != nil {
		return "", nil, err
	}
	return kid, priv.(*rsa.PrivateKey), nil
}

// SigningKey returns the alg key that signs now: an *rsa.PrivateKey,
// *ecdsa.PrivateKey or ed25519.PrivateKey. ErrNoSigningKey when the set
// keeps no key for alg (Algorithms). Like Signing, it does not allocate
// after warm-up.
func (m *Manager) SigningKey(ctx context.Context, alg string) (kid string, key crypto.Signer, err error) {
	if !m.Signs(alg) {
		return "", nil, fmt.Errorf("keys: %s is not among the configured algorithms: %w", alg, ErrNoSigningKey)
	}
	now := m.now()
	st, err := m.state(ctx, now)
	if err != nil {
		return "", nil, fmt.Errorf("keys: signing key: %w", err)
	}
	k := st.signing(alg, now)
	if k == nil {
		return "", nil, fmt.Errorf("keys: key set version %d: %s: %w", st.version, alg, ErrNoSigningKey)
	}
	if k.priv == nil {
		// Only reachable if the clock went back before the key's retirement
		// after it was loaded as retired.
		return "", nil, fmt.Errorf("keys: key %s signs now but was retired when loaded: %w", k.rec.ID, ErrNoSigningKey)
	}
	return k.rec.ID, k.priv, nil
}

// PublicKey returns the public half of a published RS256 key; a key of
// another algorithm is ErrUnknownKey here (VerificationKey finds it).
func (m *Manager) PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	alg, pub, err := m.VerificationKey(ctx, kid)
	if err != nil {
		return nil, err
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("keys: public key %q is %s, not RS256: %w", kid, alg, ErrUnknownKey)
	}
	return rsaPub, nil
}

// VerificationKey returns the public half of a published key of any
// algorithm and that algorithm, which is the only one a token signed by the
// key may claim. An unknown kid re-reads the store (at most once a second),
// so a key another replica just added verifies at once.
func (m *Manager) VerificationKey(ctx context.Context, kid string) (alg string, pub crypto.PublicKey, err error) {
	now := m.now()
	st, err := m.state(ctx, now)
	if err != nil {
		return "", nil, fmt.Errorf("keys: public key %q: %w", kid, err)
	}
	if k := st.lookup(kid); k != nil && published(k.rec, now) {
		return algOf(k.rec), k.pub, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Another caller may have re-read while this one waited.
	if st = m.cache.Load(); st.lookup(kid) == nil && now.Sub(m.lastUnknownRead) >= unknownKidReadEvery {
		m.lastUnknownRead = now
		if st, err = m.readLocked(ctx, now); err != nil {
			return "", nil, fmt.Errorf("keys: public key %q: %w", kid, err)
		}
	}
	if k := st.lookup(kid); k != nil && published(k.rec, now) {
		return algOf(k.rec), k.pub, nil
	}
	return "", nil, fmt.Errorf("keys: public key %q: %w", kid, ErrUnknownKey)
}

// JWKS returns the JSON Web Key Set (RFC 7517 §5) of every published key and
// a strong ETag for it. The document is built once per key set version and
// publication change, so serving it costs a pointer load.
func (m *Manager) JWKS(ctx context.Context) (body []byte, etag string, err error) {
	now := m.now()
	st, err := m.state(ctx, now)
	if err != nil {
		return nil, "", fmt.Errorf("keys: JWKS: %w", err)
	}
	if d := st.jwks.doc.Load(); d != nil && d.covers(now) {
		return d.body, d.etag, nil
	}
	d, err := st.buildJWKS(now)
	if err != nil {
		return nil, "", fmt.Errorf("keys: JWKS: %w", err)
	}
	st.jwks.doc.Store(d)
	return d.body, d.etag, nil
}

func (d *jwksDoc) covers(now time.Time) bool {
	return !now.Before(d.validFrom) && (d.before.IsZero() || now.Before(d.before))
}

func (s *keyState) buildJWKS(now time.Time) (*jwksDoc, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(s.keys))}
	d := &jwksDoc{}
	for _, k := range s.keys {
		u := k.rec.UnpublishAt
		switch {
		case u.IsZero():
		case now.Before(u):
			if d.before.IsZero() || u.Before(d.before) {
				d.before = u
			}
		default:
			if u.After(d.validFrom) {
				d.validFrom = u
			}
			continue
		}
		set.Keys = append(set.Keys, k.jwk)
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	sum := sha256.Sum256(body)
	d.body = body
	d.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
	return d, nil
}
