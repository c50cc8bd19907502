package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

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
