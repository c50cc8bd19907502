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

var patTests = []subTest{
	{"PATs/CRUD", testPATs},
}

func testPATs(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	older := storage.PAT{
		ID: "p1", UserID: "u1", Name: "deploy", TokenHash: hashOf("pat-1"), Scopes: []string{"openid", "admin"},
		CreatedAt: at(-time.Hour), ExpiresAt: at(time.Hour), LastUsedAt: at(-time.Minute), AMR: []string{"pwd", "otp"},
	}
	forever := storage.PAT{ID: "p2", UserID: "u1", Name: "ci", TokenHash: hashOf("pat-2"), Scopes: []string{}, CreatedAt: base}
	theirs := storage.PAT{ID: "p3", UserID: "u2", Name: "x", TokenHash: hashOf("pat-3"), CreatedAt: base}
	for _, p := range []storage.PAT{older, forever, theirs} {
		must(t, "CreatePAT "+p.ID, s.CreatePAT(ctx, p))
	}
	wantErr(t, "CreatePAT(taken id)",
		s.CreatePAT(ctx, storage.PAT{ID: "p1", UserID: "u2", Name: "y", TokenHash: hashOf("pat-4"), CreatedAt: base}), storage.ErrAlreadyExists)

	got, err := s.GetPATByHash(ctx, hashOf("pat-1"), base)
	must(t, "GetPATByHash", err)
	equal(t, "GetPATByHash", got, older)
	_, err = s.GetPATByHash(ctx, hashOf("pat-1"), at(time.Hour+time.Second))
	wantErr(t, "GetPATByHash(expired)", err, storage.ErrNotFound)
	// A zero ExpiresAt never expires.
	got, err = s.GetPATByHash(ctx, hashOf("pat-2"), at(100*365*24*time.Hour))
	must(t, "GetPATByHash(no expiry)", err)
	equal(t, "GetPATByHash(no expiry)", got, forever)
	wantNilEmpty(t, "GetPATByHash(no expiry)", got)
	_, err = s.GetPATByHash(ctx, hashOf("nope"), base)
	wantErr(t, "GetPATByHash(missing)", err, storage.ErrNotFound)

	list, err := s.ListPATsByUser(ctx, "u1")
	must(t, "ListPATsByUser", err)
	equal(t, "ListPATsByUser (newest first)", list, []storage.PAT{forever, older})

	must(t, "TouchPAT", s.TouchPAT(ctx, "p2", at(time.Minute)))
	got, err = s.GetPATByHash(ctx, hashOf("pat-2"), base)
	must(t, "GetPATByHash", err)
	touched := forever
	touched.LastUsedAt = at(time.Minute)
	equal(t, "PAT after TouchPAT", got, touched)
	wantErr(t, "TouchPAT(missing)", s.TouchPAT(ctx, "nope", base), storage.ErrNotFound)

	wantErr(t, "DeletePAT(someone else's)", s.DeletePAT(ctx, "u2", "p1"), storage.ErrNotFound)
	if _, err := s.GetPATByHash(ctx, hashOf("pat-1"), base); err != nil {
		t.Errorf("DeletePAT by another user removed the token: %v", err)
	}
	wantErr(t, "DeletePAT(missing)", s.DeletePAT(ctx, "u1", "nope"), storage.ErrNotFound)
	must(t, "DeletePAT", s.DeletePAT(ctx, "u1", "p1"))
	_, err = s.GetPATByHash(ctx, hashOf("pat-1"), base)
	wantErr(t, "GetPATByHash(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeletePAT(again)", s.DeletePAT(ctx, "u1", "p1"), storage.ErrNotFound)
	list, err = s.ListPATsByUser(ctx, "nobody")
	must(t, "ListPATsByUser(nobody)", err)
	if len(list) != 0 {
		t.Errorf("ListPATsByUser(nobody) = %+v", list)
	}
}

var oneTimeTokenTests = []subTest{
	{"OneTimeTokens/Consume", testOneTimeConsume},
	{"OneTimeTokens/NewestOnly", testOneTimeNewestOnly},
	{"OneTimeTokens/DeleteByUser", testOneTimeDeleteByUser},
}

func testOneTimeConsume(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	want := storage.OneTimeToken{
		TokenHash: hashOf("verify"), Purpose: "verify_email", UserID: "u1", Email: "u1@example.com",
		Data: []byte(`{"next":"/account"}`), CreatedAt: base, ExpiresAt: at(time.Hour),
	}
	must(t, "CreateOneTimeToken", s.CreateOneTimeToken(ctx, want))
	// An invitation has no user yet.
	invite := storage.OneTimeToken{
		TokenHash: hashOf("invite"), Purpose: "invite", Email: "new@example.com",
		Data: []byte(`{"org_id":"o1","role":"member"}`), CreatedAt: base, ExpiresAt: at(time.Hour),
	}
	must(t, "CreateOneTimeToken(invite)", s.CreateOneTimeToken(ctx, invite))

	_, err := s.ConsumeOneTimeToken(ctx, hashOf("verify"), "reset_password", base)
	wantErr(t, "ConsumeOneTimeToken(other purpose)", err, storage.ErrNotFound)
	_, err = s.ConsumeOneTimeToken(ctx, hashOf("verify"), "verify_email", at(time.Hour+time.Second))
	wantErr(t, "ConsumeOneTimeToken(expired)", err, storage.ErrNotFound)
	_, err = s.ConsumeOneTimeToken(ctx, hashOf("nope"), "verify_email", base)
	wantErr(t, "ConsumeOneTimeToken(missing)", err, storage.ErrNotFound)

	// Reading does not consume, and follows the same rules.
	got, err := s.GetOneTimeToken(ctx, hashOf("verify"), "verify_email", at(time.Hour-time.Second))
	must(t, "GetOneTimeToken", err)
	equal(t, "GetOneTimeToken", got, want)
	_, err = s.GetOneTimeToken(ctx, hashOf("verify"), "reset_password", base)
	wantErr(t, "GetOneTimeToken(other purpose)", err, storage.ErrNotFound)
	_, err = s.GetOneTimeToken(ctx, hashOf("verify"), "verify_email", at(time.Hour+time.Second))
	wantErr(t, "GetOneTimeToken(expired)", err, storage.ErrNotFound)
	_, err = s.GetOneTimeToken(ctx, hashOf("nope"), "verify_email", base)
	wantErr(t, "GetOneTimeToken(missing)", err, storage.ErrNotFound)

	// The failed attempts above left the token usable.
	got, err = s.ConsumeOneTimeToken(ctx, hashOf("verify"), "verify_email", at(time.Hour-time.Second))
	must(t, "ConsumeOneTimeToken", err)
	equal(t, "ConsumeOneTimeToken", got, want)
	_, err = s.ConsumeOneTimeToken(ctx, hashOf("verify"), "verify_email", base)
	wantErr(t, "ConsumeOneTimeToken(used)", err, storage.ErrNotFound)
	_, err = s.GetOneTimeToken(ctx, hashOf("verify"), "verify_email", base)
	wantErr(t, "GetOneTimeToken(used)", err, storage.ErrNotFound)

	got, err = s.ConsumeOneTimeToken(ctx, hashOf("invite"), "invite", base)
	must(t, "ConsumeOneTimeToken(invite)", err)
	equal(t, "ConsumeOneTimeToken(invite)", got, invite)

	bare := storage.OneTimeToken{TokenHash: hashOf("bare"), Purpose: "p", Data: []byte{}, ExpiresAt: at(time.Hour)}
	must(t, "CreateOneTimeToken(bare)", s.CreateOneTimeToken(ctx, bare))
	got, err = s.ConsumeOneTimeToken(ctx, hashOf("bare"), "p", base)
	must(t, "ConsumeOneTimeToken(bare)", err)
	equal(t, "ConsumeOneTimeToken(bare)", got, bare)
	wantNilEmpty(t, "ConsumeOneTimeToken(bare)", got)
}

func testOneTimeNewestOnly(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	mk := func(secret, purpose, email string) storage.OneTimeToken {
		return storage.OneTimeToken{TokenHash: hashOf(secret), Purpose: purpose, UserID: "u1", Email: email, CreatedAt: base, ExpiresAt: at(time.Hour)}
	}
	for _, tok := range []storage.OneTimeToken{
		mk("first", "reset_password", "u1@example.com"),
		mk("verify", "verify_email", "u1@example.com"),
		mk("elsewhere", "reset_password", "other@example.com"),
		mk("second", "reset_password", "u1@example.com"),
	} {
		must(t, "CreateOneTimeToken", s.CreateOneTimeToken(ctx, tok))
	}
	_, err := s.ConsumeOneTimeToken(ctx, hashOf("first"), "reset_password", base)
	wantErr(t, "ConsumeOneTimeToken(superseded)", err, storage.ErrNotFound)
	for _, c := range []struct{ secret, purpose string }{
		{"second", "reset_password"}, {"verify", "verify_email"}, {"elsewhere", "reset_password"},
	} {
		if _, err := s.ConsumeOneTimeToken(ctx, hashOf(c.secret), c.purpose, base); err != nil {
			t.Errorf("ConsumeOneTimeToken(%s): %v", c.secret, err)
		}
	}
}

func testOneTimeDeleteByUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	for _, tok := range []storage.OneTimeToken{
		{TokenHash: hashOf("r-old"), Purpose: "reset_password", UserID: "u1", Email: "old@example.com"},
		{TokenHash: hashOf("r-new"), Purpose: "reset_password", UserID: "u1", Email: "u1@example.com"},
		{TokenHash: hashOf("v"), Purpose: "verify_email", UserID: "u1", Email: "u1@example.com"},
		{TokenHash: hashOf("r-u2"), Purpose: "reset_password", UserID: "u2", Email: "u2@example.com"},
		{TokenHash: hashOf("inv"), Purpose: "reset_password", Email: "x@example.com"},
	} {
		tok.CreatedAt, tok.ExpiresAt = base, at(time.Hour)
		must(t, "CreateOneTimeToken", s.CreateOneTimeToken(ctx, tok))
	}
	n, err := s.DeleteOneTimeTokensByUser(ctx, "u1", "reset_password")
	must(t, "DeleteOneTimeTokensByUser", err)
	if n != 2 {
		t.Errorf("DeleteOneTimeTokensByUser removed %d, want 2", n)
	}
	for _, h := range []string{"r-old", "r-new"} {
		_, err := s.GetOneTimeToken(ctx, hashOf(h), "reset_password", base)
		wantErr(t, "GetOneTimeToken(deleted "+h+")", err, storage.ErrNotFound)
	}
	for _, k := range []struct{ hash, purpose string }{{"v", "verify_email"}, {"r-u2", "reset_password"}, {"inv", "reset_password"}} {
		if _, err := s.GetOneTimeToken(ctx, hashOf(k.hash), k.purpose, base); err != nil {
			t.Errorf("token %s of another user or purpose: %v", k.hash, err)
		}
	}
	n, err = s.DeleteOneTimeTokensByUser(ctx, "u1", "reset_password")
	if err != nil || n != 0 {
		t.Errorf("DeleteOneTimeTokensByUser(again) = %d, %v", n, err)
	}
}
