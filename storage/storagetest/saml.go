package storagetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var samlAssertionTests = []subTest{
	{"SAMLAssertions/Replay", testSAMLAssertionReplay},
	{"SAMLAssertions/DeleteExpired", testSAMLAssertionDeleteExpired},
}

func testSAMLAssertionReplay(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "UseSAMLAssertion", s.UseSAMLAssertion(ctx, hashOf("a"), base, at(time.Minute)))
	// SAML profiles §4.1.4.5: an assertion used once is refused again while
	// it could still be accepted.
	wantErr(t, "UseSAMLAssertion(replay)", s.UseSAMLAssertion(ctx, hashOf("a"), at(30*time.Second), at(2*time.Minute)),
		storage.ErrAlreadyExists)
	wantErr(t, "UseSAMLAssertion(replay at expiry)", s.UseSAMLAssertion(ctx, hashOf("a"), at(time.Minute), at(2*time.Minute)),
		storage.ErrAlreadyExists)
	must(t, "UseSAMLAssertion(other)", s.UseSAMLAssertion(ctx, hashOf("b"), base, at(time.Minute)))
	must(t, "UseSAMLAssertion(after expiry)", s.UseSAMLAssertion(ctx, hashOf("a"), at(time.Minute+time.Second), at(3*time.Minute)))
	wantErr(t, "UseSAMLAssertion(replay of replaced)", s.UseSAMLAssertion(ctx, hashOf("a"), at(2*time.Minute+time.Second), at(4*time.Minute)),
		storage.ErrAlreadyExists)
}

func testSAMLAssertionDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, name := range []string{"a", "b", "c"} {
		must(t, "UseSAMLAssertion", s.UseSAMLAssertion(ctx, hashOf(name), base, at(time.Duration(i+1)*time.Minute)))
	}
	batches := sweep(t, "DeleteExpiredSAMLAssertions", 1, func(limit int) (int, error) {
		return s.DeleteExpiredSAMLAssertions(ctx, at(2*time.Minute+time.Second), limit)
	})
	if !slices.Equal(batches, []int{1, 1, 0}) {
		t.Errorf("batches = %v, want [1 1 0]", batches)
	}
	wantErr(t, "UseSAMLAssertion(live)", s.UseSAMLAssertion(ctx, hashOf("c"), at(2*time.Minute+time.Second), at(5*time.Minute)),
		storage.ErrAlreadyExists)
	must(t, "UseSAMLAssertion(swept)", s.UseSAMLAssertion(ctx, hashOf("a"), at(2*time.Minute+time.Second), at(5*time.Minute)))
}

// testRaceSAMLAssertion: one response posted to many replicas at once is
// accepted once.
func testRaceSAMLAssertion(t *testing.T, s storage.Store) {
	errs := race(racers, func(int) error {
		return s.UseSAMLAssertion(t.Context(), hashOf("raced"), base, at(time.Minute))
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrAlreadyExists):
			t.Errorf("UseSAMLAssertion: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent uses succeeded, want 1", wins, racers)
	}
}
