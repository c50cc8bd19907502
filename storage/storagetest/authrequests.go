package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

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
		ACR:          "phr",
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
	upd.ACR = "urn:ostiary:acr:2fa"
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
