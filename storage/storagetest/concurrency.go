package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// racers is how many goroutines contend in each concurrency test.
const racers = 20

// RunConcurrency runs the races a multi-replica deployment produces: many
// callers on one record at once, where exactly one may win (code redemption,
// refresh rotation, key rotation, one-time tokens, mail leases, throttle
// counts). Each subtest gets its own store from newStore; the subtests run
// in parallel.
func RunConcurrency(t *testing.T, newStore func(t *testing.T) storage.Store) {
	for _, st := range []subTest{
		{"InvalidateRefreshToken", func(t *testing.T, s storage.Store) { testRaceInvalidate(t, s, storage.KindRefreshToken) }},
		{"InvalidateAuthorizeCode", func(t *testing.T, s storage.Store) { testRaceInvalidate(t, s, storage.KindAuthorizeCode) }},
		{"RotateRefreshToken", testRaceRotateToken},
		{"RefreshRotationInTx", func(t *testing.T, s storage.Store) { testRaceRotation(t, s, storage.KindRefreshToken) }},
		{"CodeRedemptionInTx", func(t *testing.T, s storage.Store) { testRaceRotation(t, s, storage.KindAuthorizeCode) }},
		{"LoserSeesSuccessor", testRaceLoserSeesSuccessor},
		{"UpdateKeySet", testRaceKeySet},
		{"ConsumeOneTimeToken", testRaceOneTimeToken},
		{"ConsumePushedRequest", testRacePushedRequest},
		{"ClaimMail", testRaceClaimMail},
		{"MarkAuditForwarded", testRaceMarkAuditForwarded},
		{"ThrottleHit", testRaceThrottle},
		{"AcquireLease", testRaceLease},
		{"RedeemDeviceGrant", testRaceDeviceGrantRedeem},
		{"UseDPoPProof", testRaceDPoPProof},
		{"UseSAMLAssertion", testRaceSAMLAssertion},
		{"TakePasskeyChallenge", testRacePasskeyChallenge},
	} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			st.run(t, newStore(t))
		})
	}
}

// race runs fn in n goroutines released at the same moment and returns
// their errors by goroutine index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one error is nil and every other one is
// one of losers.
func oneWinner(t *testing.T, what string, errs []error, losers ...error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("%s: goroutines %d and %d both won", what, winner, i)
		case err == nil:
			winner = i
		case !slices.ContainsFunc(losers, func(l error) bool { return errors.Is(err, l) }):
			t.Errorf("%s: goroutine %d failed with %v, want one of %v", what, i, err, losers)
		}
	}
	if winner < 0 {
		t.Errorf("%s: nobody won", what)
	}
	return winner
}

func testRaceInvalidate(t *testing.T, s storage.Store, kind storage.TokenKind) {
	ctx := t.Context()
	must(t, "CreateToken", s.CreateToken(ctx, fullToken(kind, "sig", "req", base)))
	errs := race(racers, func(i int) error {
		return s.InvalidateToken(ctx, kind, "sig", at(time.Duration(i)*time.Second))
	})
	w := oneWinner(t, "InvalidateToken", errs, storage.ErrInactive)
	got, err := s.GetToken(ctx, kind, "sig")
	must(t, "GetToken", err)
	if got.Active {
		t.Error("token still active")
	}
	if w >= 0 && !sameTime(got.FirstUsedAt, at(time.Duration(w)*time.Second)) {
		t.Errorf("FirstUsedAt = %v, want the winner's now %v", got.FirstUsedAt, at(time.Duration(w)*time.Second))
	}
}

func testRaceRotateToken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "CreateToken", s.CreateToken(ctx, fullToken(storage.KindRefreshToken, "sig", "req", base)))
	must(t, "CreateToken", s.CreateToken(ctx, fullToken(storage.KindAccessToken, "access-of-sig", "req", base)))
	errs := race(racers, func(i int) error {
		_, err := s.RotateToken(ctx, storage.KindRefreshToken, "sig", at(time.Duration(i)*time.Second))
		return err
	})
	w := oneWinner(t, "RotateToken", errs, storage.ErrInactive, storage.ErrConflict)
	for _, k := range []storage.TokenKind{storage.KindRefreshToken, storage.KindAccessToken} {
		sig := map[storage.TokenKind]string{storage.KindRefreshToken: "sig", storage.KindAccessToken: "access-of-sig"}[k]
		got, err := s.GetToken(ctx, k, sig)
		must(t, "GetToken", err)
		if got.Active {
			t.Errorf("%s still active", k)
		}
		if w >= 0 && !sameTime(got.FirstUsedAt, at(time.Duration(w)*time.Second)) {
			t.Errorf("%s FirstUsedAt = %v, want the winner's now %v", k, got.FirstUsedAt, at(time.Duration(w)*time.Second))
		}
	}
}

// testRaceRotation is fosite's refresh (or code exchange) shape: in one
// transaction invalidate the presented token, then store the new one. Of
// concurrent presenters exactly one may commit a new token.
func testRaceRotation(t *testing.T, s storage.Store, kind storage.TokenKind) {
	ctx := t.Context()
	must(t, "CreateToken", s.CreateToken(ctx, fullToken(kind, "old", "req", base)))
	newSig := func(i int) string { return fmt.Sprintf("new-%02d", i) }
	errs := race(racers, func(i int) error {
		return s.InTx(ctx, func(ctx context.Context) error {
			if err := s.InvalidateToken(ctx, kind, "old", base); err != nil {
				return err
			}
			return s.CreateToken(ctx, fullToken(storage.KindRefreshToken, newSig(i), "req", base))
		})
	})
	w := oneWinner(t, "rotation", errs, storage.ErrInactive, storage.ErrConflict)
	for i := range racers {
		_, err := s.GetToken(ctx, storage.KindRefreshToken, newSig(i))
		if i == w && err != nil {
			t.Errorf("the winner's new token is missing: %v", err)
		}
		if i != w && !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("loser %d's new token: err = %v, want ErrNotFound (rolled back)", i, err)
		}
	}
	old, err := s.GetToken(ctx, kind, "old")
	must(t, "GetToken(old)", err)
	if old.Active {
		t.Error("the presented token is still active")
	}
}

// errSawSuccessor is a loser of testRaceLoserSeesSuccessor that found what
// it must.
var errSawSuccessor = errors.New("lost the rotation and saw the successor")

// testRaceLoserSeesSuccessor is the refresh grace period's shape
// (provider/oauth/fositestore/store_refresh.go), in transactions begun and ended as
// fosite does: the winner rotates the presented token and stores its
// successor; a loser's rotation fails with ErrInactive only once the winner
// committed, and in the same transaction the loser then reads the presented
// token as rotated (FirstUsedAt set) and the winner's successor as active.
// Without that a racer within the grace period could not hand out the
// successor.
func testRaceLoserSeesSuccessor(t *testing.T, s storage.Store) {
	ctx := t.Context()
	old := fullToken(storage.KindRefreshToken, "old", "req", base)
	old.FirstUsedAt = time.Time{}
	must(t, "CreateToken", s.CreateToken(ctx, old))
	errs := race(racers, func(i int) (err error) {
		tx, err := s.BeginTX(ctx)
		if err != nil {
			return err
		}
		defer func() {
			if err != nil {
				_ = s.Rollback(tx)
			}
		}()
		_, err = s.RotateToken(tx, storage.KindRefreshToken, "old", at(time.Duration(i)*time.Second))
		if errors.Is(err, storage.ErrInactive) {
			rotated, err := s.GetToken(tx, storage.KindRefreshToken, "old")
			if err != nil || rotated.Active || rotated.FirstUsedAt.IsZero() {
				return fmt.Errorf("loser %d read the presented token as %+v, %v; want it rotated", i, rotated, err)
			}
			next, err := s.GetToken(tx, storage.KindRefreshToken, "successor")
			if err != nil || !next.Active {
				return fmt.Errorf("loser %d read the successor as active=%v, %v; want the winner's, active", i, next.Active, err)
			}
			return errSawSuccessor
		}
		if err != nil {
			return err
		}
		if err := s.CreateToken(tx, fullToken(storage.KindRefreshToken, "successor", "req", base)); err != nil {
			return err
		}
		return s.Commit(tx)
	})
	oneWinner(t, "rotation", errs, errSawSuccessor)
}

func testRaceKeySet(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var (
		mu     sync.Mutex
		won    []int64 // the version each successful update started from
		losses int
	)
	errs := race(racers, func(i int) error {
		key := signingKey(fmt.Sprintf("k%02d", i), at(time.Duration(i)*time.Second))
		for range 1000 {
			var from int64
			err := s.UpdateKeySet(ctx, func(ks storage.KeySet) (storage.KeySet, error) {
				from = ks.Version
				ks.Keys = append(slices.Clone(ks.Keys), key)
				return ks, nil
			})
			if errors.Is(err, storage.ErrConflict) {
				mu.Lock()
				losses++
				mu.Unlock()
				continue
			}
			if err == nil {
				mu.Lock()
				won = append(won, from)
				mu.Unlock()
			}
			return err
		}
		return errors.New("no success in 1000 attempts")
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	// One winner per version: the successful updates started from 0..19,
	// each version once.
	slices.Sort(won)
	want := make([]int64, racers)
	for i := range want {
		want[i] = int64(i)
	}
	if !slices.Equal(won, want) {
		t.Errorf("successful updates started from versions %v, want each of 0..%d once", won, racers-1)
	}
	ks, err := s.GetKeySet(ctx)
	must(t, "GetKeySet", err)
	if ks.Version != racers {
		t.Errorf("Version = %d, want %d", ks.Version, racers)
	}
	var ids []string
	for _, k := range ks.Keys {
		ids = append(ids, k.ID)
	}
	slices.Sort(ids)
	for i := range racers {
		if id := fmt.Sprintf("k%02d", i); !slices.Contains(ids, id) {
			t.Errorf("key %s was lost; have %v", id, ids)
		}
	}
	if len(ids) != racers {
		t.Errorf("%d keys, want %d", len(ids), racers)
	}
	t.Logf("%d lost races retried", losses)
}

func testRaceOneTimeToken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "CreateOneTimeToken", s.CreateOneTimeToken(ctx, storage.OneTimeToken{
		TokenHash: hashOf("once"), Purpose: "reset_password", Email: "a@example.com", CreatedAt: base, ExpiresAt: at(time.Hour),
	}))
	errs := race(racers, func(int) error {
		_, err := s.ConsumeOneTimeToken(ctx, hashOf("once"), "reset_password", base)
		return err
	})
	oneWinner(t, "ConsumeOneTimeToken", errs, storage.ErrNotFound)
}

func testRaceClaimMail(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const mails, claimers = 30, 10
	for i := range mails {
		must(t, "EnqueueMail", s.EnqueueMail(ctx, mail(fmt.Sprintf("m%02d", i), at(-time.Duration(i)*time.Second))))
	}
	var mu sync.Mutex
	claimedBy := map[string][]int{}
	errs := race(claimers, func(i int) error {
		for {
			got, err := s.ClaimMail(ctx, base, at(time.Hour), 4)
			if err != nil || len(got) == 0 {
				return err
			}
			mu.Lock()
			for _, m := range got {
				claimedBy[m.ID] = append(claimedBy[m.ID], i)
				if m.Attempts != 1 {
					t.Errorf("mail %s claimed with Attempts = %d, want 1", m.ID, m.Attempts)
				}
			}
			mu.Unlock()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", i, err)
		}
	}
	for i := range mails {
		id := fmt.Sprintf("m%02d", i)
		if by := claimedBy[id]; len(by) != 1 {
			t.Errorf("mail %s claimed by %v, want exactly one claimer", id, by)
		}
	}
	left, err := s.ClaimMail(ctx, base, at(time.Hour), 100)
	must(t, "ClaimMail(after the race)", err)
	if len(left) != 0 {
		t.Errorf("%d mails were still claimable", len(left))
	}
}

func testRaceThrottle(t *testing.T, s storage.Store) {
	ctx := t.Context()
	counts := make([]int, racers)
	errs := race(racers, func(i int) error {
		n, reset, err := s.Hit(ctx, "ip:198.51.100.7", time.Minute, at(time.Duration(i)*time.Millisecond))
		counts[i] = n
		if err == nil && !reset.After(base) {
			return fmt.Errorf("resetAt %v is not after the window start", reset)
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Hit %d: %v", i, err)
		}
	}
	slices.Sort(counts)
	for i, n := range counts {
		if n != i+1 {
			t.Fatalf("Hit returned counts %v, want each of 1..%d once", counts, racers)
		}
	}
	n, _, err := s.Peek(ctx, "ip:198.51.100.7", at(time.Second))
	must(t, "Peek", err)
	if n != racers {
		t.Errorf("Peek = %d, want %d", n, racers)
	}
}
