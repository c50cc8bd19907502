package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

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
