package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

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
