package keys

import (
	"context"
	"fmt"
	"slices"

	"github.com/ostiary/ostiary/storage"
)

// Revoked is the outcome of Revoke.
type Revoked struct {
	// ID is the revoked key.
	ID string
	// Replacement is the key that took over signing at once, when the
	// revoked key was signing or lined up to sign; empty otherwise.
	Replacement string
}

// Revoke removes a key from the set at once, private half and all: an
// emergency for a leaked key. Tokens it signed stop verifying as soon as a
// process re-reads the set (this one at once, others within
// RefreshInterval), at our own endpoints and for any verifier refetching
// the JWKS. If the key signs now or was lined up to, a new key signs at
// once, without pre-publication: verifiers that cached the JWKS see an
// unknown kid and refetch it (which OpenID Connect verifiers do). Any other
// key that could still sign is retired now and stays published for
// Retention, so a replica signing with a stale set until its next refresh
// still produces verifiable tokens. All of this happens within the revoked
// key's algorithm; the other algorithms' keys are left alone. ErrUnknownKey
// if kid is not in the set.
func (m *Manager) Revoke(ctx context.Context, kid string) (Revoked, error) {
	if err := m.validate(); err != nil {
		return Revoked{}, err
	}
	set, err := m.Store.GetKeySet(ctx)
	if err != nil {
		return Revoked{}, fmt.Errorf("keys: revoke %s: %w", kid, err)
	}
	alg := AlgRS256
	if i := slices.IndexFunc(set.Keys, func(k storage.SigningKey) bool { return k.ID == kid }); i >= 0 {
		alg = algOf(set.Keys[i])
	}
	// Generated up front: a replacement may be needed, and an emergency
	// does not care for the wasted key if not.
	k, err := newKey(alg, m.bits(), m.Sealer)
	if err != nil {
		return Revoked{}, fmt.Errorf("keys: revoke %s: %w", kid, err)
	}
	out := Revoked{ID: kid}
	err = m.update(ctx, func(set storage.KeySet) (storage.KeySet, error) {
		out.Replacement = ""
		now := m.storeTime()
		i := slices.IndexFunc(set.Keys, func(k storage.SigningKey) bool { return k.ID == kid })
		if i < 0 {
			return set, fmt.Errorf("%q: %w", kid, ErrUnknownKey)
		}
		if algOf(set.Keys[i]) != alg {
			return set, fmt.Errorf("%q changed its algorithm while being revoked", kid)
		}
		current := mayStillSign(set.Keys[i], now)
		keys := dropUnpublished(slices.Delete(slices.Clone(set.Keys), i, i+1), now)
		if current && m.Signs(alg) {
			for j := range keys {
				if algOf(keys[j]) == alg && mayStillSign(keys[j], now) {
					keys[j].RetiredAt = now
					keys[j].UnpublishAt = now.Add(m.retention())
				}
			}
			k.CreatedAt, k.ActiveFrom = now, now
			keys = append(keys, k)
			out.Replacement = k.ID
		}
		set.Keys = keys
		return set, nil
	})
	if err != nil {
		return Revoked{}, fmt.Errorf("keys: revoke: %w", err)
	}
	if _, err := m.reload(ctx, m.now()); err != nil {
		return out, fmt.Errorf("keys: revoke %s: removed, but: %w", kid, err)
	}
	return out, nil
}
