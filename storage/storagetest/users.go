package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var userTests = []subTest{
	{"Users/RoundTrip", testUserRoundTrip},
	{"Users/EmailIgnoresCase", testUserEmailCase},
	{"Users/Errors", testUserErrors},
	{"Users/ListOrder", testUserList},
	{"Users/Update", testUserUpdate},
	{"Users/DeleteCascades", testUserDeleteCascade},
}

func testUserRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := fullUser("u1", "Ada.Lovelace@Example.COM", base)
	must(t, "CreateUser", s.CreateUser(ctx, want))
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	equal(t, "GetUser", got, want)

	bare := storage.User{ID: "u2", Email: "bare@example.com"}
	must(t, "CreateUser(bare)", s.CreateUser(ctx, bare))
	got, err = s.GetUser(ctx, "u2")
	must(t, "GetUser(bare)", err)
	equal(t, "GetUser(bare)", got, bare)
}

func testUserEmailCase(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := fullUser("u1", "Ada.Lovelace@Example.COM", base)
	must(t, "CreateUser", s.CreateUser(ctx, want))
	for _, email := range []string{"Ada.Lovelace@Example.COM", "ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM"} {
		got, err := s.GetUserByEmail(ctx, email)
		must(t, "GetUserByEmail "+email, err)
		// The email is kept as given, not lowercased.
		equal(t, "GetUserByEmail "+email, got, want)
	}
	_, err := s.GetUserByEmail(ctx, "ada@example.com")
	wantErr(t, "GetUserByEmail(other)", err, storage.ErrNotFound)
	wantErr(t, "CreateUser(same email, other case)",
		s.CreateUser(ctx, storage.User{ID: "u2", Email: "ADA.lovelace@example.com"}), storage.ErrAlreadyExists)
	if _, err := s.GetUser(ctx, "u2"); err == nil {
		t.Error("refused CreateUser left a user behind")
	}
}

func testUserErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	_, err := s.GetUser(ctx, "missing")
	wantErr(t, "GetUser(missing)", err, storage.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "missing@example.com")
	wantErr(t, "GetUserByEmail(missing)", err, storage.ErrNotFound)
	seedUser(t, s, "u1")
	wantErr(t, "CreateUser(taken id)",
		s.CreateUser(ctx, storage.User{ID: "u1", Email: "fresh@example.com"}), storage.ErrAlreadyExists)
	err = s.UpdateUser(ctx, "missing", func(u storage.User) (storage.User, error) { return u, nil })
	wantErr(t, "UpdateUser(missing)", err, storage.ErrNotFound)
	wantErr(t, "DeleteUser(missing)", s.DeleteUser(ctx, "missing"), storage.ErrNotFound)
}

func testUserList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	list, err := s.ListUsers(ctx)
	must(t, "ListUsers(empty)", err)
	if len(list) != 0 {
		t.Fatalf("ListUsers on an empty store returned %d users", len(list))
	}
	users := []storage.User{
		fullUser("a", "a@example.com", at(3*time.Second)),
		fullUser("b", "b@example.com", at(time.Second)),
		fullUser("c", "c@example.com", at(2*time.Second)),
	}
	for _, u := range users {
		must(t, "CreateUser "+u.ID, s.CreateUser(ctx, u))
	}
	list, err = s.ListUsers(ctx)
	must(t, "ListUsers", err)
	equal(t, "ListUsers", list, []storage.User{users[1], users[2], users[0]})
}

func testUserUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	orig := fullUser("u1", "one@example.com", base)
	must(t, "CreateUser", s.CreateUser(ctx, orig))
	seedUser(t, s, "u2") // u2@example.com

	err := s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		u.Name = "changed"
		return u, errBoom
	})
	wantErr(t, "UpdateUser(fn error)", err, errBoom)
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	equal(t, "user after failed update", got, orig)

	err = s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		u.Email = "U2@EXAMPLE.com"
		u.Name = "thief"
		return u, nil
	})
	wantErr(t, "UpdateUser(taken email)", err, storage.ErrAlreadyExists)
	got, err = s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	equal(t, "user after refused email change", got, orig)

	want := orig
	want.Email = "New.Address@example.com"
	want.Name = ""
	want.PasswordHash = ""
	want.EmailVerified = false
	want.Disabled = false
	want.Admin = false
	want.UpdatedAt = at(time.Hour)
	var seen storage.User
	must(t, "UpdateUser", s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		seen = u
		return want, nil
	}))
	equal(t, "UpdateUser fn input", seen, orig)
	got, err = s.GetUserByEmail(ctx, "new.address@EXAMPLE.com")
	must(t, "GetUserByEmail(new)", err)
	equal(t, "user after update", got, want)
	_, err = s.GetUserByEmail(ctx, "one@example.com")
	wantErr(t, "GetUserByEmail(old email)", err, storage.ErrNotFound)

	// Changing only the case of one's own email is not a conflict.
	must(t, "UpdateUser(own email, new case)", s.UpdateUser(ctx, "u1", func(u storage.User) (storage.User, error) {
		u.Email = "NEW.ADDRESS@example.com"
		return u, nil
	}))
	// The old address is free for someone else.
	must(t, "CreateUser(freed email)", s.CreateUser(ctx, storage.User{ID: "u3", Email: "one@example.com"}))
}

func testUserDeleteCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "gone")
	seedUser(t, s, "stays")
	seedOrg(t, s, "o1", "Org One", base)
	seedClient(t, s, "c1")
	for _, uid := range []string{"gone", "stays"} {
		must(t, "AddMembership "+uid, s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: uid, Role: "member", CreatedAt: base}))
		sess := storage.Session{ID: "s-" + uid, TokenHash: hashOf("s-" + uid), UserID: uid, CreatedAt: base, ExpiresAt: at(time.Hour)}
		must(t, "CreateSession "+uid, s.CreateSession(ctx, sess))
		must(t, "PutConsent "+uid, s.PutConsent(ctx, storage.Consent{UserID: uid, ClientID: "c1", Scopes: []string{"openid"}, CreatedAt: base, UpdatedAt: base}))
		must(t, "CreatePAT "+uid, s.CreatePAT(ctx, storage.PAT{ID: "p-" + uid, UserID: uid, Name: "ci", TokenHash: hashOf("p-" + uid), CreatedAt: base}))
		must(t, "CreateOneTimeToken "+uid, s.CreateOneTimeToken(ctx, storage.OneTimeToken{
			TokenHash: hashOf("ott-" + uid), Purpose: "reset_password", UserID: uid, Email: uid + "@example.com", CreatedAt: base, ExpiresAt: at(time.Hour),
		}))
	}

	must(t, "DeleteUser", s.DeleteUser(ctx, "gone"))
	_, err := s.GetUser(ctx, "gone")
	wantErr(t, "GetUser(deleted)", err, storage.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "gone@example.com")
	wantErr(t, "GetUserByEmail(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteUser(again)", s.DeleteUser(ctx, "gone"), storage.ErrNotFound)

	_, err = s.GetMembership(ctx, "o1", "gone")
	wantErr(t, "membership of deleted user", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "s-gone", base)
	wantErr(t, "session of deleted user", err, storage.ErrNotFound)
	_, err = s.GetSessionByTokenHash(ctx, hashOf("s-gone"), base)
	wantErr(t, "session (by hash) of deleted user", err, storage.ErrNotFound)
	_, err = s.GetConsent(ctx, "gone", "c1")
	wantErr(t, "consent of deleted user", err, storage.ErrNotFound)
	_, err = s.GetPATByHash(ctx, hashOf("p-gone"), base)
	wantErr(t, "PAT of deleted user", err, storage.ErrNotFound)
	_, err = s.ConsumeOneTimeToken(ctx, hashOf("ott-gone"), "reset_password", base)
	wantErr(t, "one-time token of deleted user", err, storage.ErrNotFound)
	members, err := s.ListMembersByOrg(ctx, "o1")
	must(t, "ListMembersByOrg", err)
	if len(members) != 1 || members[0].UserID != "stays" {
		t.Errorf("members after DeleteUser = %+v, want only stays", members)
	}

	// The other user's records are untouched.
	if _, err := s.GetMembership(ctx, "o1", "stays"); err != nil {
		t.Errorf("membership of the other user: %v", err)
	}
	if _, err := s.GetSession(ctx, "s-stays", base); err != nil {
		t.Errorf("session of the other user: %v", err)
	}
	if _, err := s.GetConsent(ctx, "stays", "c1"); err != nil {
		t.Errorf("consent of the other user: %v", err)
	}
	if _, err := s.GetPATByHash(ctx, hashOf("p-stays"), base); err != nil {
		t.Errorf("PAT of the other user: %v", err)
	}
	if _, err := s.ConsumeOneTimeToken(ctx, hashOf("ott-stays"), "reset_password", base); err != nil {
		t.Errorf("one-time token of the other user: %v", err)
	}
	if _, err := s.GetOrg(ctx, "o1"); err != nil {
		t.Errorf("organization after DeleteUser: %v", err)
	}
	if _, err := s.GetClient(ctx, "c1"); err != nil {
		t.Errorf("client after DeleteUser: %v", err)
	}
	// The email is free again.
	must(t, "CreateUser(reused email)", s.CreateUser(ctx, storage.User{ID: "again", Email: "GONE@example.com"}))
}
