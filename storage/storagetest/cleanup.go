package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var cleanupTests = []subTest{
	{"Cleanup/OneTimeTokens", testCleanupOneTimeTokens},
	{"Cleanup/MFAChallenges", testCleanupMFAChallenges},
	{"Cleanup/Mail", testCleanupMail},
	{"Cleanup/Throttles", testCleanupThrottles},
	{"Cleanup/Audit", testCleanupAudit},
	{"Cleanup/RotatedRefreshKeptUntilItsExpiry", testCleanupKeepsRotatedRefresh},
}

// sweep calls del with limit until it returns fewer, checking each batch
// stays within the limit, and returns the batch sizes.
func sweep(t *testing.T, what string, limit int, del func(limit int) (int, error)) []int {
	t.Helper()
	var batches []int
	for range 100 {
		n, err := del(limit)
		must(t, what, err)
		if n > limit {
			t.Fatalf("%s(limit %d) removed %d", what, limit, n)
		}
		batches = append(batches, n)
		if n < limit {
			return batches
		}
	}
	t.Fatalf("%s never finished", what)
	return nil
}

func testCleanupOneTimeTokens(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"} {
		tok := storage.OneTimeToken{TokenHash: hashOf(email), Purpose: "verify_email", UserID: "u1", Email: email,
			CreatedAt: at(-time.Hour), ExpiresAt: at(time.Duration(i-3) * time.Minute)} // three expired, two not
		must(t, "CreateOneTimeToken", s.CreateOneTimeToken(ctx, tok))
	}
	got := sweep(t, "DeleteExpiredOneTimeTokens", 2, func(limit int) (int, error) {
		return s.DeleteExpiredOneTimeTokens(ctx, base, limit)
	})
	if !slices.Equal(got, []int{2, 1}) {
		t.Errorf("batches = %v, want [2 1]", got)
	}
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"} {
		_, err := s.GetOneTimeToken(ctx, hashOf(email), "verify_email", at(-2*time.Hour))
		if kept := err == nil; kept != (i >= 3) {
			t.Errorf("token %s: kept = %v (%v), want %v", email, kept, err, i >= 3)
		}
	}
}

func testCleanupMFAChallenges(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	for i, id := range []string{"c1", "c2", "c3"} {
		must(t, "CreateMFAChallenge", s.CreateMFAChallenge(ctx, storage.MFAChallenge{TokenHash: hashOf(id), UserID: "u1",
			CreatedAt: at(-time.Hour), ExpiresAt: at(time.Duration(i-2) * time.Minute)})) // c1, c2 expired
	}
	if got := sweep(t, "DeleteExpiredMFAChallenges", 5, func(limit int) (int, error) {
		return s.DeleteExpiredMFAChallenges(ctx, base, limit)
	}); !slices.Equal(got, []int{2}) {
		t.Errorf("batches = %v, want [2]", got)
	}
	if _, err := s.GetMFAChallenge(ctx, hashOf("c3"), at(-time.Hour)); err != nil {
		t.Errorf("unexpired challenge swept: %v", err)
	}
	_, err := s.GetMFAChallenge(ctx, hashOf("c1"), at(-time.Hour))
	wantErr(t, "GetMFAChallenge(swept)", err, storage.ErrNotFound)
}

func testCleanupMail(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, id := range []string{"pending", "sent-old", "sent-new", "failed-old", "failed-new"} {
		must(t, "EnqueueMail "+id, s.EnqueueMail(ctx, mail(id, at(-48*time.Hour))))
	}
	must(t, "MarkMailSent", s.MarkMailSent(ctx, "sent-old", at(-25*time.Hour)))
	must(t, "MarkMailSent", s.MarkMailSent(ctx, "sent-new", at(-time.Hour)))
	must(t, "GiveUpMail", s.GiveUpMail(ctx, "failed-old", "550", at(-25*time.Hour)))
	must(t, "GiveUpMail", s.GiveUpMail(ctx, "failed-new", "550", at(-time.Hour)))

	// Zero cut-offs match nothing.
	n, err := s.DeleteOldMail(ctx, time.Time{}, time.Time{}, 10)
	must(t, "DeleteOldMail(zero)", err)
	if n != 0 {
		t.Errorf("DeleteOldMail(zero times) = %d, want 0", n)
	}
	// Sent mails older than a day; failed ones are kept longer.
	n, err = s.DeleteOldMail(ctx, at(-24*time.Hour), time.Time{}, 10)
	must(t, "DeleteOldMail(sent)", err)
	if n != 1 {
		t.Errorf("DeleteOldMail(sent before -24h) = %d, want 1", n)
	}
	n, err = s.DeleteOldMail(ctx, at(-24*time.Hour), at(-24*time.Hour), 10)
	must(t, "DeleteOldMail(failed)", err)
	if n != 1 {
		t.Errorf("DeleteOldMail(failed before -24h) = %d, want 1", n)
	}
	// Even a cut-off in the future never removes a mail still to be sent.
	n, err = s.DeleteOldMail(ctx, at(time.Hour), at(time.Hour), 1)
	must(t, "DeleteOldMail(all)", err)
	if n != 1 {
		t.Errorf("DeleteOldMail(limit 1) = %d, want 1", n)
	}
	must(t, "DeleteOldMail(rest)", func() error { _, err := s.DeleteOldMail(ctx, at(time.Hour), at(time.Hour), 10); return err }())
	left, err := s.ListMail(ctx, 10)
	must(t, "ListMail", err)
	if len(left) != 1 || left[0].ID != "pending" {
		t.Errorf("left after cleanup: %v, want only the pending mail", left)
	}
}

func testCleanupThrottles(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, key := range []string{"ip:a", "ip:b", "ip:c"} {
		_, _, err := s.Hit(ctx, key, time.Minute, at(time.Duration(i)*time.Minute)) // windows end at +1m, +2m, +3m
		must(t, "Hit", err)
	}
	n, err := s.DeleteExpiredThrottles(ctx, at(2*time.Minute+time.Second), 10)
	must(t, "DeleteExpiredThrottles", err)
	if n != 2 {
		t.Errorf("DeleteExpiredThrottles = %d, want 2", n)
	}
	if c, _, err := s.Peek(ctx, "ip:c", at(2*time.Minute+time.Second)); err != nil || c != 1 {
		t.Errorf("live counter: %d, %v; want 1", c, err)
	}
	if c, _, _ := s.Peek(ctx, "ip:a", base); c != 0 {
		t.Errorf("swept counter still counts %d", c)
	}
}

func testCleanupAudit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, id := range []string{"e1", "e2", "e3", "e4"} {
		must(t, "AppendAudit", s.AppendAudit(ctx, auditEvent(id, at(time.Duration(i)*time.Hour), "login.success", "u1", "u1")))
	}
	if got := sweep(t, "DeleteAuditBefore", 2, func(limit int) (int, error) {
		return s.DeleteAuditBefore(ctx, at(2*time.Hour), limit)
	}); !slices.Equal(got, []int{2, 0}) {
		t.Errorf("batches = %v, want [2 0]", got)
	}
	left, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, "ListAudit", err)
	if len(left) != 2 || left[0].ID != "e4" || left[1].ID != "e3" {
		t.Errorf("left: %v, want e4, e3", left)
	}
}

// A rotated refresh token's row must survive sweeps until its own expiry:
// reuse detection (revoking the family) needs it.
func testCleanupKeepsRotatedRefresh(t *testing.T, s storage.Store) {
	ctx := t.Context()
	rotated := fullToken(storage.KindRefreshToken, "rotated", "req1", base)
	rotated.ExpiresAt = at(time.Hour)
	must(t, "CreateToken", s.CreateToken(ctx, rotated))
	must(t, "InvalidateToken", s.InvalidateToken(ctx, storage.KindRefreshToken, "rotated", at(time.Minute)))
	revoked := fullToken(storage.KindRefreshToken, "revoked", "req2", base)
	revoked.ExpiresAt = at(time.Hour)
	must(t, "CreateToken", s.CreateToken(ctx, revoked))
	_, err := s.DeactivateTokens(ctx, storage.TokenFilter{RequestID: "req2"})
	must(t, "DeactivateTokens", err)

	n, err := s.DeleteExpiredTokens(ctx, at(time.Hour-time.Second), 10)
	must(t, "DeleteExpiredTokens(before expiry)", err)
	if n != 0 {
		t.Errorf("DeleteExpiredTokens before expiry removed %d inactive rows", n)
	}
	got, err := s.GetToken(ctx, storage.KindRefreshToken, "rotated")
	must(t, "GetToken(rotated)", err)
	if got.Active || !sameTime(got.ExpiresAt, at(time.Hour)) {
		t.Errorf("rotated row: active %v, expires %v; want inactive, its own expiry", got.Active, got.ExpiresAt)
	}
	n, err = s.DeleteExpiredTokens(ctx, at(time.Hour+time.Second), 10)
	must(t, "DeleteExpiredTokens(after expiry)", err)
	if n != 2 {
		t.Errorf("DeleteExpiredTokens after expiry removed %d, want 2", n)
	}
}
