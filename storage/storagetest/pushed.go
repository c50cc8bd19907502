package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var pushedRequestTests = []subTest{
	{"PushedRequest/CreateConsume", testPushedCreateConsume},
	{"PushedRequest/Expiry", testPushedExpiry},
	{"PushedRequest/OtherClient", testPushedOtherClient},
	{"PushedRequest/ClientDeleted", testPushedClientDeleted},
}

func pushed(key, client string, created, expires time.Time) storage.PushedRequest {
	return storage.PushedRequest{KeyHash: hashOf(key), ClientID: client, Form: "client_id=" + client + "&scope=openid",
		CreatedAt: created, ExpiresAt: expires}
}

func testPushedCreateConsume(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedClient(t, s, "c1")
	want := pushed("k1", "c1", base, at(time.Minute))
	must(t, "CreatePushedRequest", s.CreatePushedRequest(ctx, want))
	wantErr(t, "CreatePushedRequest(same key)", s.CreatePushedRequest(ctx, want), storage.ErrAlreadyExists)
	got, err := s.ConsumePushedRequest(ctx, hashOf("k1"), "c1", at(time.Second))
	must(t, "ConsumePushedRequest", err)
	equal(t, "consumed", got, want)
	_, err = s.ConsumePushedRequest(ctx, hashOf("k1"), "c1", at(time.Second))
	wantErr(t, "ConsumePushedRequest(again)", err, storage.ErrNotFound)
	_, err = s.ConsumePushedRequest(ctx, hashOf("never"), "c1", base)
	wantErr(t, "ConsumePushedRequest(unknown)", err, storage.ErrNotFound)
}

func testPushedExpiry(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedClient(t, s, "c1")
	must(t, "CreatePushedRequest", s.CreatePushedRequest(ctx, pushed("old", "c1", base, at(time.Minute))))
	_, err := s.ConsumePushedRequest(ctx, hashOf("old"), "c1", at(time.Minute+time.Millisecond))
	wantErr(t, "ConsumePushedRequest(expired)", err, storage.ErrNotFound)
	// A later push sweeps the expired one: it is gone even for a clock
	// that says it is still valid.
	must(t, "CreatePushedRequest(later)", s.CreatePushedRequest(ctx, pushed("new", "c1", at(2*time.Minute), at(3*time.Minute))))
	_, err = s.ConsumePushedRequest(ctx, hashOf("old"), "c1", base)
	wantErr(t, "ConsumePushedRequest(swept)", err, storage.ErrNotFound)
	_, err = s.ConsumePushedRequest(ctx, hashOf("new"), "c1", at(2*time.Minute))
	must(t, "ConsumePushedRequest(new)", err)
}

func testPushedOtherClient(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedClient(t, s, "c1")
	seedClient(t, s, "c2")
	must(t, "CreatePushedRequest", s.CreatePushedRequest(ctx, pushed("k", "c1", base, at(time.Minute))))
	_, err := s.ConsumePushedRequest(ctx, hashOf("k"), "c2", base)
	wantErr(t, "ConsumePushedRequest(other client)", err, storage.ErrNotFound)
	// RFC 9126 §4: the request is the client's; another client's attempt
	// leaves it usable.
	_, err = s.ConsumePushedRequest(ctx, hashOf("k"), "c1", base)
	must(t, "ConsumePushedRequest(owner)", err)
}

func testPushedClientDeleted(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedClient(t, s, "c1")
	must(t, "CreatePushedRequest", s.CreatePushedRequest(ctx, pushed("k", "c1", base, at(time.Minute))))
	must(t, "DeleteClient", s.DeleteClient(ctx, "c1"))
	_, err := s.ConsumePushedRequest(ctx, hashOf("k"), "c1", base)
	wantErr(t, "ConsumePushedRequest(client deleted)", err, storage.ErrNotFound)
}

func testRacePushedRequest(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedClient(t, s, "c1")
	must(t, "CreatePushedRequest", s.CreatePushedRequest(ctx, pushed("once", "c1", base, at(time.Minute))))
	errs := race(racers, func(int) error {
		_, err := s.ConsumePushedRequest(ctx, hashOf("once"), "c1", base)
		return err
	})
	oneWinner(t, "ConsumePushedRequest", errs, storage.ErrNotFound)
}
