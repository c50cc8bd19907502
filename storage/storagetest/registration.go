package storagetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var registrationTests = []subTest{
	{"Registration/InitialAccessTokens", testInitialAccessTokens},
	{"Registration/RegistrationToken", testRegistrationToken},
}

func testInitialAccessTokens(t *testing.T, s storage.Store) {
	ctx := t.Context()
	forever := storage.InitialAccessToken{TokenHash: hashOf("forever"), CreatedAt: base}
	must(t, "CreateInitialAccessToken(no expiry)", s.CreateInitialAccessToken(ctx, forever))
	wantErr(t, "CreateInitialAccessToken(same hash)", s.CreateInitialAccessToken(ctx, forever), storage.ErrAlreadyExists)
	got, err := s.GetInitialAccessToken(ctx, hashOf("forever"), at(1000*time.Hour))
	must(t, "GetInitialAccessToken(no expiry)", err)
	equal(t, "GetInitialAccessToken", got, forever)

	short := storage.InitialAccessToken{TokenHash: hashOf("short"), CreatedAt: base, ExpiresAt: at(time.Hour)}
	must(t, "CreateInitialAccessToken(expiring)", s.CreateInitialAccessToken(ctx, short))
	got, err = s.GetInitialAccessToken(ctx, hashOf("short"), at(time.Hour))
	must(t, "GetInitialAccessToken(at expiry)", err)
	equal(t, "GetInitialAccessToken(expiring)", got, short)
	_, err = s.GetInitialAccessToken(ctx, hashOf("short"), at(time.Hour+time.Second))
	wantErr(t, "GetInitialAccessToken(expired)", err, storage.ErrNotFound)
	_, err = s.GetInitialAccessToken(ctx, hashOf("unknown"), base)
	wantErr(t, "GetInitialAccessToken(unknown)", err, storage.ErrNotFound)

	// The list shows expired tokens too (an operator sees what ran out),
	// oldest first; deleting one ends it at once and leaves the other.
	later := storage.InitialAccessToken{TokenHash: hashOf("later"), CreatedAt: at(time.Minute)}
	must(t, "CreateInitialAccessToken(later)", s.CreateInitialAccessToken(ctx, later))
	list, err := s.ListInitialAccessTokens(ctx)
	must(t, "ListInitialAccessTokens", err)
	first := []storage.InitialAccessToken{forever, short}
	if bytes.Compare(short.TokenHash, forever.TokenHash) < 0 {
		first = []storage.InitialAccessToken{short, forever}
	}
	equal(t, "ListInitialAccessTokens", list, append(first, later))
	must(t, "DeleteInitialAccessToken", s.DeleteInitialAccessToken(ctx, hashOf("forever")))
	_, err = s.GetInitialAccessToken(ctx, hashOf("forever"), base)
	wantErr(t, "GetInitialAccessToken(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteInitialAccessToken(again)", s.DeleteInitialAccessToken(ctx, hashOf("forever")), storage.ErrNotFound)
	list, err = s.ListInitialAccessTokens(ctx)
	must(t, "ListInitialAccessTokens(after delete)", err)
	equal(t, "ListInitialAccessTokens(after delete)", list, []storage.InitialAccessToken{short, later})
}

func testRegistrationToken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedClient(t, s, "dyn")
	seedClient(t, s, "static")
	wantErr(t, "SetRegistrationToken(unknown client)", s.SetRegistrationToken(ctx, "ghost", hashOf("x")), storage.ErrNotFound)
	_, err := s.GetRegistrationToken(ctx, "static")
	wantErr(t, "GetRegistrationToken(not registered dynamically)", err, storage.ErrNotFound)

	must(t, "SetRegistrationToken", s.SetRegistrationToken(ctx, "dyn", hashOf("first")))
	got, err := s.GetRegistrationToken(ctx, "dyn")
	must(t, "GetRegistrationToken", err)
	if !bytes.Equal(got, hashOf("first")) {
		t.Errorf("GetRegistrationToken = %x, want %x", got, hashOf("first"))
	}
	// Rotation replaces the hash; the old one is gone.
	must(t, "SetRegistrationToken(rotate)", s.SetRegistrationToken(ctx, "dyn", hashOf("second")))
	got, err = s.GetRegistrationToken(ctx, "dyn")
	must(t, "GetRegistrationToken(rotated)", err)
	if !bytes.Equal(got, hashOf("second")) {
		t.Errorf("GetRegistrationToken after rotation = %x, want %x", got, hashOf("second"))
	}
	// In a transaction, a refusal must not poison the transaction.
	must(t, "InTx", s.InTx(ctx, func(ctx context.Context) error {
		wantErr(t, "SetRegistrationToken(unknown client, in tx)", s.SetRegistrationToken(ctx, "ghost", hashOf("y")), storage.ErrNotFound)
		return s.SetRegistrationToken(ctx, "static", hashOf("later"))
	}))
	if _, err := s.GetRegistrationToken(ctx, "static"); err != nil {
		t.Errorf("GetRegistrationToken after tx: %v", err)
	}

	must(t, "DeleteClient", s.DeleteClient(ctx, "dyn"))
	_, err = s.GetRegistrationToken(ctx, "dyn")
	wantErr(t, "GetRegistrationToken(client deleted)", err, storage.ErrNotFound)
}
