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

var authRequestTests = []subTest{
	{"AuthRequests/CRUD", testAuthRequestCRUD},
	{"AuthRequests/DeleteExpired", testAuthRequestDeleteExpired},
}

func fullAuthRequest(id string, created time.Time) storage.AuthRequest {
	return storage.AuthRequest{
		ID:           id,
		ClientID:     "client-1",
		Form:         "client_id=client-1&code_challenge=abc&code_challenge_method=S256&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid&state=xyz",
		SessionID:    "session-1",
		LoginAt:      created.Add(time.Second),
		OrgID:        "org-1",
		ConsentGiven: true,
		Denied:       true,
		CreatedAt:    created,
		ExpiresAt:    created.Add(10 * time.Minute),
	}
}

func testAuthRequestCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := fullAuthRequest("r1", base)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, want))
	got, err := s.GetAuthRequest(ctx, "r1", base)
	must(t, "GetAuthRequest", err)
	equal(t, "GetAuthRequest", got, want)
	wantErr(t, "CreateAuthRequest(taken id)", s.CreateAuthRequest(ctx, fullAuthRequest("r1", at(time.Hour))), storage.ErrAlreadyExists)

	_, err = s.GetAuthRequest(ctx, "r1", at(10*time.Minute+time.Second))
	wantErr(t, "GetAuthRequest(expired)", err, storage.ErrNotFound)
	_, err = s.GetAuthRequest(ctx, "r1", at(10*time.Minute-time.Second))
	must(t, "GetAuthRequest(just before expiry)", err)
	_, err = s.GetAuthRequest(ctx, "missing", base)
	wantErr(t, "GetAuthRequest(missing)", err, storage.ErrNotFound)

	bare := storage.AuthRequest{ID: "r2", ClientID: "c", ExpiresAt: at(time.Hour)}
	must(t, "CreateAuthRequest(bare)", s.CreateAuthRequest(ctx, bare))
	got, err = s.GetAuthRequest(ctx, "r2", base)
	must(t, "GetAuthRequest(bare)", err)
	equal(t, "GetAuthRequest(bare)", got, bare)

	err = s.UpdateAuthRequest(ctx, "r1", func(r storage.AuthRequest) (storage.AuthRequest, error) {
		r.Denied = false
		return r, errBoom
	})
	wantErr(t, "UpdateAuthRequest(fn error)", err, errBoom)
	got, err = s.GetAuthRequest(ctx, "r1", base)
	must(t, "GetAuthRequest", err)
	equal(t, "auth request after failed update", got, want)

	upd := bare
	upd.SessionID = "session-2"
	upd.LoginAt = at(time.Minute)
	upd.OrgID = "org-2"
	upd.ConsentGiven = true
	var seen storage.AuthRequest
	must(t, "UpdateAuthRequest", s.UpdateAuthRequest(ctx, "r2", func(r storage.AuthRequest) (storage.AuthRequest, error) {
		seen = r
		return upd, nil
	}))
	equal(t, "UpdateAuthRequest fn input", seen, bare)
	got, err = s.GetAuthRequest(ctx, "r2", base)
	must(t, "GetAuthRequest", err)
	equal(t, "auth request after update", got, upd)
	err = s.UpdateAuthRequest(ctx, "missing", func(r storage.AuthRequest) (storage.AuthRequest, error) { return r, nil })
	wantErr(t, "UpdateAuthRequest(missing)", err, storage.ErrNotFound)

	must(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx, "r1"))
	_, err = s.GetAuthRequest(ctx, "r1", base)
	wantErr(t, "GetAuthRequest(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteAuthRequest(again)", s.DeleteAuthRequest(ctx, "r1"), storage.ErrNotFound)
	if _, err := s.GetAuthRequest(ctx, "r2", base); err != nil {
		t.Errorf("other auth request after delete: %v", err)
	}
}

func testAuthRequestDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i := range 3 {
		r := fullAuthRequest("old"+string(rune('a'+i)), at(-time.Hour))
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	}
	must(t, "CreateAuthRequest(live)", s.CreateAuthRequest(ctx, fullAuthRequest("live", base)))
	for _, want := range []int{2, 1, 0} {
		n, err := s.DeleteExpiredAuthRequests(ctx, base, 2)
		must(t, "DeleteExpiredAuthRequests", err)
		if n != want {
			t.Errorf("DeleteExpiredAuthRequests(limit 2) = %d, want %d", n, want)
		}
	}
	if _, err := s.GetAuthRequest(ctx, "live", base); err != nil {
		t.Errorf("unexpired auth request was swept: %v", err)
	}
	if _, err := s.GetAuthRequest(ctx, "olda", at(-time.Hour)); err == nil {
		t.Error("expired auth request survived the sweep")
	}
}

var consentTests = []subTest{
	{"Consents/CRUD", testConsents},
}

func testConsents(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	for _, c := range []string{"cz", "ca", "cm"} {
		seedClient(t, s, c)
	}
	_, err := s.GetConsent(ctx, "u1", "ca")
	wantErr(t, "GetConsent(missing)", err, storage.ErrNotFound)

	mk := func(user, client string, scopes ...string) storage.Consent {
		return storage.Consent{UserID: user, ClientID: client, Scopes: scopes, CreatedAt: base, UpdatedAt: at(time.Second)}
	}
	for _, c := range []storage.Consent{mk("u1", "cz", "openid"), mk("u1", "ca", "openid", "email"), mk("u1", "cm"), mk("u2", "ca", "profile")} {
		must(t, "PutConsent", s.PutConsent(ctx, c))
	}
	got, err := s.GetConsent(ctx, "u1", "ca")
	must(t, "GetConsent", err)
	equal(t, "GetConsent", got, mk("u1", "ca", "openid", "email"))
	got, err = s.GetConsent(ctx, "u1", "cm")
	must(t, "GetConsent(no scopes)", err)
	wantNilEmpty(t, "GetConsent(no scopes)", got)

	list, err := s.ListConsentsByUser(ctx, "u1")
	must(t, "ListConsentsByUser", err)
	equal(t, "ListConsentsByUser (by client id)", list, []storage.Consent{
		mk("u1", "ca", "openid", "email"), mk("u1", "cm"), mk("u1", "cz", "openid"),
	})

	// Put replaces the whole record.
	repl := storage.Consent{UserID: "u1", ClientID: "ca", Scopes: []string{"openid", "profile", "offline_access"}, CreatedAt: at(time.Hour), UpdatedAt: at(2 * time.Hour)}
	must(t, "PutConsent(replace)", s.PutConsent(ctx, repl))
	got, err = s.GetConsent(ctx, "u1", "ca")
	must(t, "GetConsent(replaced)", err)
	equal(t, "GetConsent(replaced)", got, repl)
	got, err = s.GetConsent(ctx, "u2", "ca")
	must(t, "GetConsent(other user)", err)
	equal(t, "other user's consent", got, mk("u2", "ca", "profile"))

	must(t, "DeleteConsent", s.DeleteConsent(ctx, "u1", "ca"))
	_, err = s.GetConsent(ctx, "u1", "ca")
	wantErr(t, "GetConsent(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteConsent(again)", s.DeleteConsent(ctx, "u1", "ca"), storage.ErrNotFound)
	if _, err := s.GetConsent(ctx, "u2", "ca"); err != nil {
		t.Errorf("other user's consent after delete: %v", err)
	}
	list, err = s.ListConsentsByUser(ctx, "nobody")
	must(t, "ListConsentsByUser(nobody)", err)
	if len(list) != 0 {
		t.Errorf("ListConsentsByUser(nobody) = %+v", list)
	}
}
