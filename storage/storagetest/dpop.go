package storagetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var dpopProofTests = []subTest{
	{"DPoPProofs/Replay", testDPoPProofReplay},
	{"DPoPProofs/DeleteExpired", testDPoPProofDeleteExpired},
}

func testDPoPProofReplay(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "UseDPoPProof", s.UseDPoPProof(ctx, hashOf("a"), base, at(time.Minute)))
	// RFC 9449 §11.1: the same jti again, while remembered, is a replay.
	wantErr(t, "UseDPoPProof(replay)", s.UseDPoPProof(ctx, hashOf("a"), at(30*time.Second), at(2*time.Minute)),
		storage.ErrAlreadyExists)
	wantErr(t, "UseDPoPProof(replay at expiry)", s.UseDPoPProof(ctx, hashOf("a"), at(time.Minute), at(2*time.Minute)),
		storage.ErrAlreadyExists)
	must(t, "UseDPoPProof(other)", s.UseDPoPProof(ctx, hashOf("b"), base, at(time.Minute)))
	// Once expired, the record no longer counts and is replaced.
	must(t, "UseDPoPProof(after expiry)", s.UseDPoPProof(ctx, hashOf("a"), at(time.Minute+time.Second), at(3*time.Minute)))
	wantErr(t, "UseDPoPProof(replay of replaced)", s.UseDPoPProof(ctx, hashOf("a"), at(2*time.Minute+time.Second), at(4*time.Minute)),
		storage.ErrAlreadyExists)
}

func testDPoPProofDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, name := range []string{"a", "b", "c"} {
		must(t, "UseDPoPProof", s.UseDPoPProof(ctx, hashOf(name), base, at(time.Duration(i+1)*time.Minute)))
	}
	batches := sweep(t, "DeleteExpiredDPoPProofs", 1, func(limit int) (int, error) {
		return s.DeleteExpiredDPoPProofs(ctx, at(2*time.Minute+time.Second), limit)
	})
	if !slices.Equal(batches, []int{1, 1, 0}) {
		t.Errorf("batches = %v, want [1 1 0]", batches)
	}
	// The live one is still remembered; the swept ones are free again.
	wantErr(t, "UseDPoPProof(live)", s.UseDPoPProof(ctx, hashOf("c"), at(2*time.Minute+time.Second), at(5*time.Minute)),
		storage.ErrAlreadyExists)
	must(t, "UseDPoPProof(swept)", s.UseDPoPProof(ctx, hashOf("a"), at(2*time.Minute+time.Second), at(5*time.Minute)))
}

// testRaceDPoPProof: one proof sent to many replicas at once is accepted once.
func testRaceDPoPProof(t *testing.T, s storage.Store) {
	errs := race(racers, func(int) error {
		return s.UseDPoPProof(t.Context(), hashOf("raced"), base, at(time.Minute))
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrAlreadyExists):
			t.Errorf("UseDPoPProof: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent uses of one jti succeeded, want 1", wins, racers)
	}
}
