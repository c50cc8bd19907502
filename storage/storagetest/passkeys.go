package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var passkeyTests = []subTest{
	{"Passkeys/RoundTrip", testPasskeyRoundTrip},
	{"Passkeys/UpdateSerialized", testPasskeyUpdateSerialized},
	{"Passkeys/Challenges", testPasskeyChallenges},
	{"Passkeys/UserDeleteCascades", testPasskeyCascade},
}

func fullPasskey(id, userID string, created time.Time) storage.Passkey {
	return storage.Passkey{ID: id, UserID: userID, CredentialID: []byte("cred-" + id), Credential: []byte(`{"id":"` + id + `"}`),
		Name: "Laptop " + id, AAGUID: []byte{0xad, 0xce, 0, 2, 0x35, 0xbc, 0xc6, 0x0a, 0x64, 0x8b, 0x0b, 0x25, 0xf1, 0xf0, 0x55, 0x03},
		Attachment: "platform", SignCount: 4_000_000_000, CloneWarning: true, CreatedAt: created, LastUsedAt: created.Add(time.Hour)}
}

func testPasskeyRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	list, err := s.ListPasskeys(ctx, "u1")
	must(t, "ListPasskeys(none)", err)
	if len(list) != 0 {
		t.Fatalf("ListPasskeys(none) = %v", list)
	}
	second := fullPasskey("pk2", "u1", at(time.Minute))
	first := storage.Passkey{ID: "pk1", UserID: "u1", CredentialID: []byte("cred-pk1"), Credential: []byte("{}"), CreatedAt: base}
	must(t, "CreatePasskey", s.CreatePasskey(ctx, second))
	must(t, "CreatePasskey(bare)", s.CreatePasskey(ctx, first))
	wantErr(t, "CreatePasskey(taken id)", s.CreatePasskey(ctx, fullPasskey("pk1", "u2", base)), storage.ErrAlreadyExists)
	taken := fullPasskey("pk3", "u2", base)
	taken.CredentialID = second.CredentialID
	wantErr(t, "CreatePasskey(taken credential id)", s.CreatePasskey(ctx, taken), storage.ErrAlreadyExists)
	wantErr(t, "CreatePasskey(unknown user)", s.CreatePasskey(ctx, fullPasskey("pk4", "ghost", base)), storage.ErrNotFound)

	list, err = s.ListPasskeys(ctx, "u1")
	must(t, "ListPasskeys", err)
	equal(t, "ListPasskeys (oldest first)", list, []storage.Passkey{first, second})
	got, err := s.GetPasskeyByCredentialID(ctx, []byte("cred-pk2"))
	must(t, "GetPasskeyByCredentialID", err)
	equal(t, "GetPasskeyByCredentialID", got, second)
	_, err = s.GetPasskeyByCredentialID(ctx, []byte("nope"))
	wantErr(t, "GetPasskeyByCredentialID(unknown)", err, storage.ErrNotFound)

	err = s.UpdatePasskey(ctx, "u1", "pk1", func(p storage.Passkey) (storage.Passkey, error) { return p, errBoom })
	wantErr(t, "UpdatePasskey(fn fails)", err, errBoom)
	err = s.UpdatePasskey(ctx, "u2", "pk1", func(p storage.Passkey) (storage.Passkey, error) { return p, nil })
	wantErr(t, "UpdatePasskey(another user's)", err, storage.ErrNotFound)
	must(t, "UpdatePasskey", s.UpdatePasskey(ctx, "u1", "pk1", func(p storage.Passkey) (storage.Passkey, error) {
		p.Name, p.SignCount, p.LastUsedAt, p.Credential = "Renamed", 7, at(time.Hour), []byte(`{"v":2}`)
		p.ID, p.UserID, p.CredentialID = "other", "u2", []byte("other") // ignored
		return p, nil
	}))
	got, err = s.GetPasskeyByCredentialID(ctx, []byte("cred-pk1"))
	must(t, "GetPasskeyByCredentialID(updated)", err)
	want := first
	want.Name, want.SignCount, want.LastUsedAt, want.Credential = "Renamed", 7, at(time.Hour), []byte(`{"v":2}`)
	equal(t, "after UpdatePasskey", got, want)

	wantErr(t, "DeletePasskey(another user's)", s.DeletePasskey(ctx, "u2", "pk1"), storage.ErrNotFound)
	must(t, "DeletePasskey", s.DeletePasskey(ctx, "u1", "pk1"))
	wantErr(t, "DeletePasskey(again)", s.DeletePasskey(ctx, "u1", "pk1"), storage.ErrNotFound)
	must(t, "CreatePasskey(u2)", s.CreatePasskey(ctx, fullPasskey("pk5", "u2", base)))
	n, err := s.DeletePasskeys(ctx, "u1")
	must(t, "DeletePasskeys", err)
	if n != 1 {
		t.Errorf("DeletePasskeys removed %d, want 1", n)
	}
	if list, _ := s.ListPasskeys(ctx, "u2"); len(list) != 1 {
		t.Errorf("DeletePasskeys(u1) touched u2's passkeys: %v", list)
	}
}

// testPasskeyUpdateSerialized: two sign-ins at once each see the other's
// counter, so neither loses the clone check's input.
func testPasskeyUpdateSerialized(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	must(t, "CreatePasskey", s.CreatePasskey(ctx, storage.Passkey{ID: "pk", UserID: "u1", CredentialID: []byte("c"),
		Credential: []byte("{}"), CreatedAt: base}))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.UpdatePasskey(ctx, "u1", "pk", func(p storage.Passkey) (storage.Passkey, error) {
				p.SignCount++
				return p, nil
			})
		})
	}
	wg.Wait()
	must(t, "concurrent UpdatePasskey", errors.Join(errs...))
	got, err := s.GetPasskeyByCredentialID(ctx, []byte("c"))
	must(t, "GetPasskeyByCredentialID", err)
	if got.SignCount != n {
		t.Errorf("SignCount after %d increments = %d (lost updates)", n, got.SignCount)
	}
}

func testPasskeyChallenges(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := storage.PasskeyChallenge{TokenHash: hashOf("c1"), Purpose: storage.PasskeyRegister, UserID: "u1",
		Session: []byte(`{"challenge":"abc"}`), CreatedAt: base, ExpiresAt: at(5 * time.Minute)}
	must(t, "CreatePasskeyChallenge", s.CreatePasskeyChallenge(ctx, c))
	wantErr(t, "CreatePasskeyChallenge(taken)", s.CreatePasskeyChallenge(ctx, c), storage.ErrAlreadyExists)
	got, err := s.TakePasskeyChallenge(ctx, hashOf("c1"), storage.PasskeyRegister, at(time.Minute))
	must(t, "TakePasskeyChallenge", err)
	equal(t, "TakePasskeyChallenge", got, c)
	_, err = s.TakePasskeyChallenge(ctx, hashOf("c1"), storage.PasskeyRegister, at(time.Minute))
	wantErr(t, "TakePasskeyChallenge(again)", err, storage.ErrNotFound)

	// A passwordless sign-in has no user; the wrong purpose or a late answer
	// is refused and uses the challenge up.
	anon := storage.PasskeyChallenge{TokenHash: hashOf("c2"), Purpose: storage.PasskeySignIn, Session: []byte("{}"),
		CreatedAt: base, ExpiresAt: at(time.Minute)}
	must(t, "CreatePasskeyChallenge(anonymous)", s.CreatePasskeyChallenge(ctx, anon))
	_, err = s.TakePasskeyChallenge(ctx, hashOf("c2"), storage.PasskeySecondFactor, base)
	wantErr(t, "TakePasskeyChallenge(other purpose)", err, storage.ErrNotFound)
	_, err = s.TakePasskeyChallenge(ctx, hashOf("c2"), storage.PasskeySignIn, base)
	wantErr(t, "TakePasskeyChallenge(after the wrong purpose)", err, storage.ErrNotFound)
	late := anon
	late.TokenHash = hashOf("c3")
	must(t, "CreatePasskeyChallenge(late)", s.CreatePasskeyChallenge(ctx, late))
	_, err = s.TakePasskeyChallenge(ctx, hashOf("c3"), storage.PasskeySignIn, at(2*time.Minute))
	wantErr(t, "TakePasskeyChallenge(expired)", err, storage.ErrNotFound)

	// Creating a challenge sweeps the expired ones.
	old := anon
	old.TokenHash = hashOf("old")
	must(t, "CreatePasskeyChallenge(old)", s.CreatePasskeyChallenge(ctx, old))
	must(t, "CreatePasskeyChallenge(later)", s.CreatePasskeyChallenge(ctx, storage.PasskeyChallenge{TokenHash: hashOf("later"),
		Purpose: storage.PasskeySignIn, Session: []byte("{}"), CreatedAt: at(time.Hour), ExpiresAt: at(2 * time.Hour)}))
	_, err = s.TakePasskeyChallenge(ctx, hashOf("old"), storage.PasskeySignIn, base)
	wantErr(t, "TakePasskeyChallenge(swept)", err, storage.ErrNotFound)
}

func testPasskeyCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	must(t, "CreatePasskey", s.CreatePasskey(ctx, fullPasskey("pk1", "u1", base)))
	must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
	_, err := s.GetPasskeyByCredentialID(ctx, []byte("cred-pk1"))
	wantErr(t, "GetPasskeyByCredentialID(after user deleted)", err, storage.ErrNotFound)
}

func testRacePasskeyChallenge(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "CreatePasskeyChallenge", s.CreatePasskeyChallenge(ctx, storage.PasskeyChallenge{TokenHash: hashOf("c"),
		Purpose: storage.PasskeySignIn, Session: []byte("{}"), CreatedAt: base, ExpiresAt: at(time.Minute)}))
	errs := race(8, func(int) error {
		_, err := s.TakePasskeyChallenge(ctx, hashOf("c"), storage.PasskeySignIn, base)
		return err
	})
	oneWinner(t, "TakePasskeyChallenge", errs, storage.ErrNotFound)
}
