package storagetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var keyTests = []subTest{
	{"Keys/EmptySet", testKeySetEmpty},
	{"Keys/Update", testKeySetUpdate},
}

func signingKey(id string, created time.Time) storage.SigningKey {
	return storage.SigningKey{
		ID:          id,
		Algorithm:   "RS256",
		PublicJWK:   []byte(`{"kty":"RSA","kid":"` + id + `","n":"sXch","e":"AQAB","use":"sig","alg":"RS256"}`),
		PrivateKey:  []byte{0x01, 0x00, 0xfe, 0xff, 0x42, 0x13},
		CreatedAt:   created,
		ActiveFrom:  created.Add(time.Minute),
		RetiredAt:   created.Add(24 * time.Hour),
		UnpublishAt: created.Add(48 * time.Hour),
	}
}

// sortedKeys orders a set's keys by id: the contract does not fix an order.
func sortedKeys(ks storage.KeySet) storage.KeySet {
	ks.Keys = slices.Clone(ks.Keys)
	slices.SortFunc(ks.Keys, func(a, b storage.SigningKey) int { return strings.Compare(a.ID, b.ID) })
	return ks
}

func testKeySetEmpty(t *testing.T, s storage.Store) {
	ks, err := s.GetKeySet(t.Context())
	must(t, "GetKeySet(empty)", err)
	if ks.Version != 0 || len(ks.Keys) != 0 {
		t.Errorf("GetKeySet on an empty store = %+v, want no keys at version 0", ks)
	}
}

func testKeySetUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k1 := signingKey("k1", base)
	var seen []storage.KeySet
	must(t, "UpdateKeySet(first)", s.UpdateKeySet(ctx, func(ks storage.KeySet) (storage.KeySet, error) {
		seen = append(seen, ks)
		ks.Keys = append(ks.Keys, k1)
		return ks, nil
	}))
	got, err := s.GetKeySet(ctx)
	must(t, "GetKeySet", err)
	equal(t, "key set after first update", got, storage.KeySet{Keys: []storage.SigningKey{k1}, Version: 1})

	// A current key: zero RetiredAt and UnpublishAt round-trip as zero.
	k2 := signingKey("k2", at(time.Hour))
	k2.RetiredAt, k2.UnpublishAt = time.Time{}, time.Time{}
	k1b := k1
	k1b.RetiredAt = at(time.Hour)
	must(t, "UpdateKeySet(rotate)", s.UpdateKeySet(ctx, func(ks storage.KeySet) (storage.KeySet, error) {
		seen = append(seen, ks)
		// The Version fn returns is ignored: the store counts.
		return storage.KeySet{Keys: []storage.SigningKey{k2, k1b}, Version: 99}, nil
	}))
	got, err = s.GetKeySet(ctx)
	must(t, "GetKeySet", err)
	equal(t, "key set after rotation", sortedKeys(got), storage.KeySet{Keys: []storage.SigningKey{k1b, k2}, Version: 2})
	equal(t, "fn inputs", seen, []storage.KeySet{{Version: 0}, {Keys: []storage.SigningKey{k1}, Version: 1}})

	err = s.UpdateKeySet(ctx, func(ks storage.KeySet) (storage.KeySet, error) {
		ks.Keys = nil
		return ks, errBoom
	})
	wantErr(t, "UpdateKeySet(fn error)", err, errBoom)
	got, err = s.GetKeySet(ctx)
	must(t, "GetKeySet", err)
	equal(t, "key set after failed update", sortedKeys(got), storage.KeySet{Keys: []storage.SigningKey{k1b, k2}, Version: 2})

	// Removing keys works too.
	must(t, "UpdateKeySet(drop)", s.UpdateKeySet(ctx, func(ks storage.KeySet) (storage.KeySet, error) {
		ks.Keys = slices.DeleteFunc(slices.Clone(ks.Keys), func(k storage.SigningKey) bool { return k.ID == "k1" })
		return ks, nil
	}))
	got, err = s.GetKeySet(ctx)
	must(t, "GetKeySet", err)
	equal(t, "key set after dropping k1", got, storage.KeySet{Keys: []storage.SigningKey{k2}, Version: 3})
}
