package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// DefaultBits is the modulus size provider.DefaultConfig gives; a Manager
// takes no defaults of its own (validate).
const DefaultBits = 2048

const (
	// unknownKidReadEvery limits the store reads an unknown kid can cause,
	// so a flood of tokens with made-up kids cannot hammer the database.
	unknownKidReadEvery = time.Second
	// retryReadAfter is how long a failed cache refresh is not retried while
	// the previous key set keeps being served.
	retryReadAfter = time.Second
	// casAttempts bounds retries of a compare-and-swap that lost a race.
	casAttempts = 10
)

// Errors callers may test with errors.Is.
var (
	// ErrNoSigningKey: no key in the set signs now (Ensure was not called).
	ErrNoSigningKey = errors.New("keys: no signing key")
	// ErrUnknownKey: no published key has that kid, even after re-reading
	// the store.
	ErrUnknownKey = errors.New("keys: unknown key id")
)

// KeyStore is the part of storage.KeyStore the manager uses.
type KeyStore interface {
	// GetKeySet returns the current set (empty, Version 0, if none).
	GetKeySet(ctx context.Context) (storage.KeySet, error)
	// UpdateKeySet applies fn by compare-and-swap; storage.ErrConflict when
	// another writer won, errors from fn unchanged.
	UpdateKeySet(ctx context.Context, fn func(storage.KeySet) (storage.KeySet, error)) error
}

// Sealer encrypts private keys at rest (secrets.Sealer).
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Manager generates, rotates and serves signing keys. The exported fields are
// its configuration; set them before first use and do not change them after.
// A Manager must not be copied after first use.
type Manager struct {
	Store  KeyStore
	Sealer Sealer
	// Bits is the RSA modulus size of new keys: 2048, 3072 or 4096.
	Bits int
	// Algorithms are the algorithms the set keeps a signing key for, each in
	// its own lane (Supported); nil is RS256 alone. RS256 must be among
	// them (OpenID Connect Core §15.1). Keys of an algorithm dropped from
	// the list are retired at the next rotation.
	Algorithms []string
	// PrePublish is how long a new key is in the JWKS before it signs, so
	// verifiers holding a cached JWKS know it first; zero is JWKSMaxAge.
	PrePublish time.Duration
	// Retention is how long a retired key stays published after it stopped
	// signing: the longest lifetime of a token it signed.
	Retention time.Duration
	// JWKSMaxAge is how long verifiers may cache the JWKS.
	JWKSMaxAge time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// RefreshInterval is how often the in-memory key set is re-read from
	// the store to see rotations by other replicas.
	RefreshInterval time.Duration
	// Logger receives failed background refreshes; nil logs nothing.
	Logger *slog.Logger

	// mu serializes store reads that replace the cache and guards
	// lastUnknownRead.
	mu              sync.Mutex
	cache           atomic.Pointer[keyState]
	lastUnknownRead time.Time
}

// KeyInfo describes one key for `ostiary keys list`.
type KeyInfo struct {
	ID          string    `json:"kid"`
	Algorithm   string    `json:"alg"`
	CreatedAt   time.Time `json:"created_at"`
	ActiveFrom  time.Time `json:"active_from"`
	RetiredAt   time.Time `json:"retired_at,omitzero"`
	UnpublishAt time.Time `json:"unpublish_at,omitzero"`
	// State is StateNext, StateSigning or StateRetired.
	State string `json:"state"`
}

// Key states reported by List.
const (
	StateNext    = "next"    // published, not signing yet
	StateSigning = "signing" // signs new tokens now
	StateRetired = "retired" // published only to verify what it signed
)

// errUnchanged ends a compare-and-swap that found nothing to do.
var errUnchanged = errors.New("key set unchanged")

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// storeTime is now as the store keeps it (UTC, microseconds), so what the
// manager writes compares equal to what it reads back.
func (m *Manager) storeTime() time.Time {
	return m.now().UTC().Truncate(time.Microsecond)
}

func (m *Manager) bits() int { return m.Bits }

// rs256Only is the Algorithms of a Manager that names none.
var rs256Only = []string{AlgRS256}

func (m *Manager) algorithms() []string {
	if len(m.Algorithms) == 0 {
		return rs256Only
	}
	return m.Algorithms
}

// Signs reports whether the set keeps a signing key for alg.
func (m *Manager) Signs(alg string) bool { return slices.Contains(m.algorithms(), alg) }

// SigningAlgorithms are the algorithms the set keeps a signing key for,
// RS256 first.
func (m *Manager) SigningAlgorithms() []string    { return slices.Clone(m.algorithms()) }
func (m *Manager) prePublish() time.Duration      { return orDefault(m.PrePublish, m.JWKSMaxAge) }
func (m *Manager) retention() time.Duration       { return m.Retention }
func (m *Manager) refreshInterval() time.Duration { return m.RefreshInterval }

// orDefault is v, or def when v is the zero value (an unset field).
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// validate reports every configuration problem at once.
func (m *Manager) validate() error {
	var errs []error
	if m.Store == nil {
		//lint:ignore ST1005 each message starts with the Manager field it is about
		errs = append(errs, errors.New("Store is nil"))
	}
	if m.Sealer == nil {
		errs = append(errs, errors.New("Sealer is nil"))
	}
	switch m.bits() {
	case 2048, 3072, 4096:
	default:
		//lint:ignore ST1005 each message starts with the Manager field it is about
		errs = append(errs, fmt.Errorf("Bits is %d, want 2048, 3072 or 4096", m.Bits))
	}
	for i, alg := range m.Algorithms {
		if !IsSupported(alg) || slices.Index(m.Algorithms, alg) != i {
			//lint:ignore ST1005 each message starts with the Manager field it is about
			errs = append(errs, fmt.Errorf("Algorithms: %q is unknown or repeated, want some of %v", alg, Supported))
		}
	}
	if len(m.Algorithms) > 0 && m.Algorithms[0] != AlgRS256 {
		//lint:ignore ST1005 each message starts with the Manager field it is about
		errs = append(errs, fmt.Errorf("Algorithms: %v must start with RS256 (OpenID Connect Core §15.1)", m.Algorithms))
	}
	if m.PrePublish < 0 {
		errs = append(errs, fmt.Errorf("PrePublish is negative (%v)", m.PrePublish))
	}
	for name, d := range map[string]time.Duration{
		"Retention": m.Retention, "JWKSMaxAge": m.JWKSMaxAge, "RefreshInterval": m.RefreshInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s is %v, want a positive duration", name, d))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("keys: invalid configuration: %w", err)
	}
	return nil
}

// Ensure makes sure a key exists, generating the first one on first start.
// That key signs at once: nothing was signed before, so no verifier needs
// to have seen it. Replicas starting together end with exactly one key.
// Ensure also loads the key set, so a key that cannot be opened (a missing
// system secret) fails startup rather than the first token request.
func (m *Manager) Ensure(ctx context.Context) error {
	if err := m.validate(); err != nil {
		return err
	}
	set, err := m.Store.GetKeySet(ctx)
	if err != nil {
		return fmt.Errorf("keys: ensure: read key set: %w", err)
	}
	var fresh []storage.SigningKey
	for _, alg := range m.algorithms() {
		if hasCurrentKey(set.Keys, alg) {
			continue
		}
		k, err := newKey(alg, m.bits(), m.Sealer)
		if err != nil {
			return fmt.Errorf("keys: ensure: %w", err)
		}
		fresh = append(fresh, k)
	}
	if len(fresh) > 0 {
		err = m.update(ctx, func(set storage.KeySet) (storage.KeySet, error) {
			now := m.storeTime()
			keys := dropUnpublished(set.Keys, now)
			added := false
			for _, k := range fresh {
				if hasCurrentKey(keys, k.Algorithm) {
					continue // another replica was first
				}
				k.CreatedAt, k.ActiveFrom = now, now
				keys = append(keys, k)
				added = true
			}
			if !added {
				return set, errUnchanged
			}
			set.Keys = keys
			return set, nil
		})
		if err != nil {
			return fmt.Errorf("keys: ensure: %w", err)
		}
	}
	if _, err := m.reload(ctx, m.now()); err != nil {
		return fmt.Errorf("keys: ensure: %w", err)
	}
	return nil
}

// hasCurrentKey reports whether some alg key signs now or is lined up to:
// one that no other key has replaced.
func hasCurrentKey(keys []storage.SigningKey, alg string) bool {
	for _, k := range keys {
		if algOf(k) == alg && k.RetiredAt.IsZero() {
			return true
		}
	}
	return false
}

// Rotate adds a new key to every algorithm's lane, published now and
// signing from now+PrePublish, and schedules the key each replaces to retire
// then and leave the JWKS Retention later. Keys whose UnpublishAt has
// passed are dropped. If no key of an algorithm signs yet, its new key signs
// at once, as in Ensure. It returns the new RS256 key, without its private
// half (RotateAll returns them all).
func (m *Manager) Rotate(ctx context.Context) (storage.SigningKey, error) {
	added, err := m.RotateAll(ctx)
	if err != nil {
		return storage.SigningKey{}, err
	}
	return added[0], nil
}

// RotateAll is Rotate, returning the new key of each algorithm in the
// order of Algorithms.
func (m *Manager) RotateAll(ctx context.Context) ([]storage.SigningKey, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	// Generate outside the compare-and-swap: it is slow, and a retry reuses it.
	fresh, err := m.newKeys(m.algorithms())
	if err != nil {
		return nil, fmt.Errorf("keys: rotate: %w", err)
	}
	var added []storage.SigningKey
	err = m.update(ctx, func(set storage.KeySet) (storage.KeySet, error) {
		added = added[:0]
		now := m.storeTime()
		for _, k := range fresh {
			var a storage.SigningKey
			set, a = m.addKey(set, k, now)
			added = append(added, a)
		}
		return set, nil
	})
	if err != nil {
		return nil, fmt.Errorf("keys: rotate: %w", err)
	}
	if _, err := m.reload(ctx, m.now()); err != nil {
		return nil, fmt.Errorf("keys: rotate: key %s stored, but: %w", added[0].ID, err)
	}
	for i := range added {
		added[i].PrivateKey = nil
	}
	return added, nil
}

// newKeys generates one key per algorithm.
func (m *Manager) newKeys(algs []string) ([]storage.SigningKey, error) {
	out := make([]storage.SigningKey, 0, len(algs))
	for _, alg := range algs {
		k, err := newKey(alg, m.bits(), m.Sealer)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// addKey is the body of a rotation of k's algorithm: k is published at now
// and signs from now+PrePublish (at once if no key of its algorithm signs),
// the key it replaces retires then and leaves the JWKS Retention later, and
// unpublished keys are dropped. Keys of algorithms no longer configured
// retire now.
func (m *Manager) addKey(set storage.KeySet, k storage.SigningKey, now time.Time) (storage.KeySet, storage.SigningKey) {
	keys := dropUnpublished(set.Keys, now)
	slices.SortFunc(keys, newerFirst)
	k.CreatedAt, k.ActiveFrom = now, now.Add(m.prePublish())
	if signingRecord(keys, k.Algorithm, now) < 0 {
		k.ActiveFrom = now
	}
	for i := range keys {
		if !keys[i].RetiredAt.IsZero() {
			continue
		}
		switch alg := algOf(keys[i]); {
		case alg == k.Algorithm:
			keys[i].RetiredAt = k.ActiveFrom
			keys[i].UnpublishAt = k.ActiveFrom.Add(m.retention())
		case !m.Signs(alg):
			keys[i].RetiredAt = now
			keys[i].UnpublishAt = now.Add(m.retention())
		}
	}
	set.Keys = append(keys, k)
	return set, k
}

// dropUnpublished returns a copy of keys without those out of the JWKS.
func dropUnpublished(keys []storage.SigningKey, now time.Time) []storage.SigningKey {
	out := make([]storage.SigningKey, 0, len(keys)+1)
	for _, k := range keys {
		if published(k, now) {
			out = append(out, k)
		}
	}
	return out
}

// update runs a compare-and-swap on the key set, retrying lost races: fn
// runs again on the winner's set.
func (m *Manager) update(ctx context.Context, fn func(storage.KeySet) (storage.KeySet, error)) error {
	var err error
	for attempt := range casAttempts {
		err = m.Store.UpdateKeySet(ctx, fn)
		switch {
		case err == nil, errors.Is(err, errUnchanged):
			return nil
		case !errors.Is(err, storage.ErrConflict):
			return fmt.Errorf("update key set: %w", err)
		}
		if attempt == casAttempts-1 {
			break
		}
		// Another replica wrote in between; back off a little, growing, so
		// several replicas rotating at once do not keep colliding.
		t := time.NewTimer(time.Duration(attempt+1) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("update key set: %w", ctx.Err())
		case <-t.C:
		}
	}
	return fmt.Errorf("update key set: gave up after %d attempts: %w", casAttempts, err)
}

// List describes every stored key, newest first, read fresh from the store.
func (m *Manager) List(ctx context.Context) ([]KeyInfo, error) {
	set, err := m.Store.GetKeySet(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	now := m.now()
	keys := slices.Clone(set.Keys)
	slices.SortFunc(keys, newerFirst)
	signing := map[int]bool{}
	for _, alg := range Supported {
		signing[signingRecord(keys, alg, now)] = true
	}
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		state := StateRetired
		switch {
		case signing[i]:
			state = StateSigning
		case k.ActiveFrom.After(now) && (k.RetiredAt.IsZero() || k.RetiredAt.After(k.ActiveFrom)):
			// Not a key retired before it ever signed (see Revoke).
			state = StateNext
		}
		out[i] = KeyInfo{
			ID: k.ID, Algorithm: algOf(k), CreatedAt: k.CreatedAt, ActiveFrom: k.ActiveFrom,
			RetiredAt: k.RetiredAt, UnpublishAt: k.UnpublishAt, State: state,
		}
	}
	return out, nil
}
