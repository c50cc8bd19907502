package storagetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var sessionTests = []subTest{
	{"Sessions/RoundTrip", testSessionRoundTrip},
	{"Sessions/Errors", testSessionErrors},
	{"Sessions/Expiry", testSessionExpiry},
	{"Sessions/Update", testSessionUpdate},
	{"Sessions/Delete", testSessionDelete},
	{"Sessions/DeleteByUser", testSessionDeleteByUser},
	{"Sessions/DeleteExpired", testSessionDeleteExpired},
}

// seedSessionParents creates what fullSession points to.
func seedSessionParents(t *testing.T, s storage.Store, users ...string) {
	t.Helper()
	seedOrg(t, s, "o1", "Org One", base)
	for _, u := range users {
		seedUser(t, s, u)
	}
}

func testSessionRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1")
	want := fullSession("s1", "u1", base)
	must(t, "CreateSession", s.CreateSession(ctx, want))
	got, err := s.GetSession(ctx, "s1", base)
	must(t, "GetSession", err)
	equal(t, "GetSession", got, want)
	got, err = s.GetSessionByTokenHash(ctx, want.TokenHash, base)
	must(t, "GetSessionByTokenHash", err)
	equal(t, "GetSessionByTokenHash", got, want)

	bare := storage.Session{ID: "s2", TokenHash: hashOf("s2"), UserID: "u1", AMR: []string{}, ExpiresAt: at(time.Hour)}
	must(t, "CreateSession(bare)", s.CreateSession(ctx, bare))
	got, err = s.GetSession(ctx, "s2", base)
	must(t, "GetSession(bare)", err)
	equal(t, "GetSession(bare)", got, bare)
	wantNilEmpty(t, "GetSession(bare)", got)
}

func testSessionErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1")
	_, err := s.GetSession(ctx, "missing", base)
	wantErr(t, "GetSession(missing)", err, storage.ErrNotFound)
	_, err = s.GetSessionByTokenHash(ctx, hashOf("missing"), base)
	wantErr(t, "GetSessionByTokenHash(missing)", err, storage.ErrNotFound)

	orig := fullSession("s1", "u1", base)
	must(t, "CreateSession", s.CreateSession(ctx, orig))
	dupID := fullSession("s1", "u1", base)
	dupID.TokenHash = hashOf("other")
	wantErr(t, "CreateSession(taken id)", s.CreateSession(ctx, dupID), storage.ErrAlreadyExists)
	dupHash := fullSession("s2", "u1", base)
	dupHash.TokenHash = orig.TokenHash
	wantErr(t, "CreateSession(taken token hash)", s.CreateSession(ctx, dupHash), storage.ErrAlreadyExists)
	_, err = s.GetSession(ctx, "s2", base)
	wantErr(t, "GetSession(refused)", err, storage.ErrNotFound)
	got, err := s.GetSessionByTokenHash(ctx, orig.TokenHash, base)
	must(t, "GetSessionByTokenHash", err)
	equal(t, "session after refused duplicates", got, orig)

	err = s.UpdateSession(ctx, "missing", func(x storage.Session) (storage.Session, error) { return x, nil })
	wantErr(t, "UpdateSession(missing)", err, storage.ErrNotFound)
	wantErr(t, "DeleteSession(missing)", s.DeleteSession(ctx, "missing"), storage.ErrNotFound)
}

func testSessionExpiry(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1", "u2")
	old := fullSession("old", "u1", at(-2*time.Hour))
	old.ExpiresAt = at(time.Hour)
	newer := fullSession("newer", "u1", at(-time.Hour))
	newer.ExpiresAt = at(3 * time.Hour)
	expired := fullSession("expired", "u1", at(-time.Minute))
	expired.ExpiresAt = at(-time.Second)
	others := fullSession("others", "u2", base)
	for _, x := range []storage.Session{old, expired, newer, others} {
		must(t, "CreateSession "+x.ID, s.CreateSession(ctx, x))
	}

	for _, c := range []struct {
		now   time.Time
		id    string
		found bool
	}{
		{at(time.Hour - time.Second), "old", true},
		{at(time.Hour + time.Second), "old", false},
		{at(-2 * time.Second), "expired", true},
		{base, "expired", false},
	} {
		_, err1 := s.GetSession(ctx, c.id, c.now)
		tok := map[string]storage.Session{"old": old, "expired": expired}[c.id].TokenHash
		_, err2 := s.GetSessionByTokenHash(ctx, tok, c.now)
		for i, err := range []error{err1, err2} {
			method := []string{"GetSession", "GetSessionByTokenHash"}[i]
			if c.found && err != nil {
				t.Errorf("%s(%s) at %v before expiry: %v", method, c.id, c.now, err)
			}
			if !c.found {
				wantErr(t, method+"("+c.id+") after expiry", err, storage.ErrNotFound)
			}
		}
	}

	list, err := s.ListSessionsByUser(ctx, "u1", base)
	must(t, "ListSessionsByUser", err)
	equal(t, "ListSessionsByUser (unexpired, newest first)", list, []storage.Session{newer, old})
	list, err = s.ListSessionsByUser(ctx, "u1", at(2*time.Hour))
	must(t, "ListSessionsByUser later", err)
	equal(t, "ListSessionsByUser later", list, []storage.Session{newer})
	list, err = s.ListSessionsByUser(ctx, "nobody", base)
	must(t, "ListSessionsByUser(nobody)", err)
	if len(list) != 0 {
		t.Errorf("ListSessionsByUser(nobody) = %+v", list)
	}
}

func testSessionUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1")
	orig := fullSession("s1", "u1", base)
	must(t, "CreateSession", s.CreateSession(ctx, orig))
	err := s.UpdateSession(ctx, "s1", func(x storage.Session) (storage.Session, error) {
		x.OrgID = ""
		x.ExpiresAt = at(-time.Hour)
		return x, errBoom
	})
	wantErr(t, "UpdateSession(fn error)", err, errBoom)
	got, err := s.GetSession(ctx, "s1", base)
	must(t, "GetSession", err)
	equal(t, "session after failed update", got, orig)

	want := orig
	want.OrgID = ""
	want.AMR = []string{"pwd"}
	want.AuthTime = at(time.Minute)
	want.LastSeen = at(2 * time.Minute)
	want.ExpiresAt = at(48 * time.Hour)
	want.IP = "192.0.2.7"
	var seen storage.Session
	must(t, "UpdateSession", s.UpdateSession(ctx, "s1", func(x storage.Session) (storage.Session, error) {
		seen = x
		return want, nil
	}))
	equal(t, "UpdateSession fn input", seen, orig)
	got, err = s.GetSession(ctx, "s1", at(30*time.Hour))
	must(t, "GetSession after extending expiry", err)
	equal(t, "session after update", got, want)
}

func testSessionDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1")
	x := fullSession("s1", "u1", base)
	must(t, "CreateSession", s.CreateSession(ctx, x))
	must(t, "DeleteSession", s.DeleteSession(ctx, "s1"))
	_, err := s.GetSession(ctx, "s1", base)
	wantErr(t, "GetSession(deleted)", err, storage.ErrNotFound)
	_, err = s.GetSessionByTokenHash(ctx, x.TokenHash, base)
	wantErr(t, "GetSessionByTokenHash(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteSession(again)", s.DeleteSession(ctx, "s1"), storage.ErrNotFound)
	if _, err := s.GetUser(ctx, "u1"); err != nil {
		t.Errorf("user after DeleteSession: %v", err)
	}
}

func testSessionDeleteByUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1", "u2")
	var mine []storage.Session
	for _, id := range []string{"a", "b", "c"} {
		x := fullSession(id, "u1", base)
		mine = append(mine, x)
		must(t, "CreateSession "+id, s.CreateSession(ctx, x))
	}
	expired := fullSession("d", "u1", at(-48*time.Hour))
	must(t, "CreateSession d", s.CreateSession(ctx, expired))
	theirs := fullSession("z", "u2", base)
	must(t, "CreateSession z", s.CreateSession(ctx, theirs))

	removed, err := s.DeleteSessionsByUser(ctx, "u1", "b")
	must(t, "DeleteSessionsByUser", err)
	slices.SortFunc(removed, func(x, y storage.Session) int { return strings.Compare(x.ID, y.ID) })
	// Expired sessions of the user go too.
	equal(t, "DeleteSessionsByUser result", removed, []storage.Session{mine[0], mine[2], expired})
	list, err := s.ListSessionsByUser(ctx, "u1", base)
	must(t, "ListSessionsByUser", err)
	equal(t, "sessions left", list, []storage.Session{mine[1]})
	if _, err := s.GetSession(ctx, "z", base); err != nil {
		t.Errorf("other user's session: %v", err)
	}

	removed, err = s.DeleteSessionsByUser(ctx, "u1", "")
	must(t, "DeleteSessionsByUser(no exception)", err)
	equal(t, "DeleteSessionsByUser(no exception)", removed, []storage.Session{mine[1]})
	removed, err = s.DeleteSessionsByUser(ctx, "u1", "")
	must(t, "DeleteSessionsByUser(none left)", err)
	if len(removed) != 0 {
		t.Errorf("DeleteSessionsByUser(none left) = %+v", removed)
	}
}

func testSessionDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedSessionParents(t, s, "u1")
	for i, id := range []string{"e1", "e2", "e3"} {
		x := fullSession(id, "u1", at(-48*time.Hour))
		x.ExpiresAt = at(-time.Duration(i+1) * time.Minute)
		must(t, "CreateSession "+id, s.CreateSession(ctx, x))
	}
	live := fullSession("live", "u1", base)
	live.ExpiresAt = at(time.Minute)
	must(t, "CreateSession live", s.CreateSession(ctx, live))

	for _, want := range []int{2, 1, 0} {
		n, err := s.DeleteExpiredSessions(ctx, base, 2)
		must(t, "DeleteExpiredSessions", err)
		if n != want {
			t.Errorf("DeleteExpiredSessions(limit 2) = %d, want %d", n, want)
		}
	}
	for _, id := range []string{"e1", "e2", "e3"} {
		_, err := s.GetSession(ctx, id, at(-72*time.Hour))
		wantErr(t, "GetSession(swept "+id+")", err, storage.ErrNotFound)
	}
	if _, err := s.GetSession(ctx, "live", base); err != nil {
		t.Errorf("unexpired session was swept: %v", err)
	}
}
