package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var identityTests = []subTest{
	{"Identities/RoundTrip", testIdentityRoundTrip},
	{"Identities/Errors", testIdentityErrors},
	{"Identities/DeleteUserCascades", testIdentityCascade},
	{"Identities/DeleteUserRemovesTokenRecords", testDeleteUserRemovesTokenRecords},
}

func fullIdentity(id, userID, subject string, created time.Time) storage.Identity {
	return storage.Identity{ID: id, UserID: userID, ConnectorID: "corp", Issuer: "https://idp.example.com",
		Subject: subject, Email: "ada@example.com", CreatedAt: created.Truncate(time.Microsecond)}
}

func testIdentityRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	second := fullIdentity("i2", "u1", "sub-2", at(time.Minute))
	second.Issuer, second.ConnectorID = "https://github.com", "github"
	first := fullIdentity("i1", "u1", "sub-1", base)
	must(t, "CreateIdentity(i2)", s.CreateIdentity(ctx, second))
	must(t, "CreateIdentity(i1)", s.CreateIdentity(ctx, first))
	got, err := s.GetIdentity(ctx, "https://idp.example.com", "sub-1")
	must(t, "GetIdentity", err)
	equalTime(t, "GetIdentity", got, first)
	list, err := s.ListIdentitiesByUser(ctx, "u1")
	must(t, "ListIdentitiesByUser", err)
	if len(list) != 2 || list[0].ID != "i1" || list[1].ID != "i2" {
		t.Fatalf("ListIdentitiesByUser = %+v, want i1 then i2", list)
	}
	must(t, "DeleteIdentity", s.DeleteIdentity(ctx, "u1", "i1"))
	_, err = s.GetIdentity(ctx, "https://idp.example.com", "sub-1")
	wantErr(t, "GetIdentity(deleted)", err, storage.ErrNotFound)
}

func testIdentityErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	_, err := s.GetIdentity(ctx, "https://idp.example.com", "nobody")
	wantErr(t, "GetIdentity(missing)", err, storage.ErrNotFound)
	must(t, "CreateIdentity", s.CreateIdentity(ctx, fullIdentity("i1", "u1", "sub-1", base)))
	// The same upstream account can never belong to two users.
	wantErr(t, "CreateIdentity(same issuer and subject)",
		s.CreateIdentity(ctx, fullIdentity("i2", "u2", "sub-1", base)), storage.ErrAlreadyExists)
	wantErr(t, "CreateIdentity(taken id)",
		s.CreateIdentity(ctx, fullIdentity("i1", "u2", "sub-9", base)), storage.ErrAlreadyExists)
	wantErr(t, "CreateIdentity(unknown user)",
		s.CreateIdentity(ctx, fullIdentity("i3", "missing", "sub-3", base)), storage.ErrNotFound)
	// The same subject at another issuer is another account.
	other := fullIdentity("i4", "u2", "sub-1", base)
	other.Issuer = "https://other.example.com"
	must(t, "CreateIdentity(other issuer)", s.CreateIdentity(ctx, other))
	wantErr(t, "DeleteIdentity(someone else's)", s.DeleteIdentity(ctx, "u2", "i1"), storage.ErrNotFound)
	wantErr(t, "DeleteIdentity(missing)", s.DeleteIdentity(ctx, "u1", "nope"), storage.ErrNotFound)
	got, err := s.GetIdentity(ctx, "https://idp.example.com", "sub-1")
	must(t, "GetIdentity after refusals", err)
	if got.UserID != "u1" {
		t.Errorf("identity moved to %q", got.UserID)
	}
}

func testIdentityCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	must(t, "CreateIdentity", s.CreateIdentity(ctx, fullIdentity("i1", "u1", "sub-1", base)))
	must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
	_, err := s.GetIdentity(ctx, "https://idp.example.com", "sub-1")
	wantErr(t, "GetIdentity after DeleteUser", err, storage.ErrNotFound)
}

// The token records of a deleted user hold their claims (name, email,
// organization): they go with the user, and nobody else's do.
func testDeleteUserRemovesTokenRecords(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	mine := fullToken(storage.KindRefreshToken, "mine", "r1", base)
	mine.Subject = "u1"
	theirs := fullToken(storage.KindRefreshToken, "theirs", "r2", base)
	theirs.Subject = "u2"
	must(t, "CreateToken(u1)", s.CreateToken(ctx, mine))
	must(t, "CreateToken(u2)", s.CreateToken(ctx, theirs))
	must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
	_, err := s.GetToken(ctx, storage.KindRefreshToken, "mine")
	wantErr(t, "GetToken(deleted person's)", err, storage.ErrNotFound)
	if _, err := s.GetToken(ctx, storage.KindRefreshToken, "theirs"); err != nil {
		t.Errorf("GetToken(other person's) after DeleteUser: %v", err)
	}
	// A user that does not exist deletes nothing, tokens included.
	ghost := fullToken(storage.KindAccessToken, "ghost", "r3", base)
	ghost.Subject = "ghost"
	must(t, "CreateToken(ghost)", s.CreateToken(ctx, ghost))
	wantErr(t, "DeleteUser(unknown)", s.DeleteUser(ctx, "ghost"), storage.ErrNotFound)
	if _, err := s.GetToken(ctx, storage.KindAccessToken, "ghost"); err != nil {
		t.Errorf("DeleteUser of an unknown user removed a token: %v", err)
	}
}

// equalTime compares identities with their times as instants.
func equalTime(t *testing.T, what string, got, want storage.Identity) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("%s: CreatedAt = %v, want %v", what, got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	equal(t, what, got, want)
}
