package storagetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var mailTests = []subTest{
	{"Mail/EnqueueAndList", testMailEnqueueList},
	{"Mail/ClaimAndMark", testMailClaim},
	{"Mail/GiveUp", testMailGiveUp},
	{"Mail/Queue", testMailQueue},
}

func mail(id string, created time.Time) storage.Mail {
	return storage.Mail{
		ID: id, To: id + "@example.com", Subject: "Subject " + id,
		Body:      []byte("\x01sealed body of " + id),
		CreatedAt: created, NextAttemptAt: created,
	}
}

func byMailID(ms []storage.Mail) []storage.Mail {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b storage.Mail) int { return strings.Compare(a.ID, b.ID) })
	return ms
}

func testMailEnqueueList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	list, err := s.ListMail(ctx, 10)
	must(t, "ListMail(empty)", err)
	if len(list) != 0 {
		t.Fatalf("ListMail on an empty store = %+v", list)
	}
	full := mail("m2", at(2*time.Second))
	full.Attempts = 3
	full.NextAttemptAt = at(time.Hour)
	full.SentAt = at(3 * time.Second)
	full.LastError = "550 mailbox unavailable"
	for _, m := range []storage.Mail{mail("m1", at(time.Second)), full, mail("m3", at(3*time.Second))} {
		must(t, "EnqueueMail "+m.ID, s.EnqueueMail(ctx, m))
	}
	wantErr(t, "EnqueueMail(taken id)", s.EnqueueMail(ctx, mail("m1", base)), storage.ErrAlreadyExists)
	list, err = s.ListMail(ctx, 10)
	must(t, "ListMail", err)
	equal(t, "ListMail (newest first)", list, []storage.Mail{mail("m3", at(3*time.Second)), full, mail("m1", at(time.Second))})
	list, err = s.ListMail(ctx, 2)
	must(t, "ListMail(2)", err)
	equal(t, "ListMail(2)", list, []storage.Mail{mail("m3", at(3*time.Second)), full})
}

func testMailClaim(t *testing.T, s storage.Store) {
	ctx := t.Context()
	m1, m2, later := mail("m1", at(-2*time.Minute)), mail("m2", at(-time.Minute)), mail("later", base)
	later.NextAttemptAt = at(time.Hour)
	sent := mail("sent", at(-3*time.Minute))
	for _, m := range []storage.Mail{m1, m2, later, sent} {
		must(t, "EnqueueMail "+m.ID, s.EnqueueMail(ctx, m))
	}
	must(t, "MarkMailSent", s.MarkMailSent(ctx, "sent", at(-time.Second)))
	wantErr(t, "MarkMailSent(missing)", s.MarkMailSent(ctx, "nope", base), storage.ErrNotFound)
	wantErr(t, "MarkMailFailed(missing)", s.MarkMailFailed(ctx, "nope", "x", base), storage.ErrNotFound)

	lease := at(5 * time.Minute)
	one, err := s.ClaimMail(ctx, base, lease, 1)
	must(t, "ClaimMail(limit 1)", err)
	if len(one) != 1 {
		t.Fatalf("ClaimMail(limit 1) returned %d mails", len(one))
	}
	rest, err := s.ClaimMail(ctx, base, lease, 10)
	must(t, "ClaimMail", err)
	claimed := byMailID(append(one, rest...))
	w1, w2 := m1, m2
	w1.Attempts, w1.NextAttemptAt = 1, lease
	w2.Attempts, w2.NextAttemptAt = 1, lease
	equal(t, "claimed mails (due, unsent; attempt counted, leased)", claimed, []storage.Mail{w1, w2})

	again, err := s.ClaimMail(ctx, at(4*time.Minute), lease, 10)
	must(t, "ClaimMail(leased)", err)
	if len(again) != 0 {
		t.Errorf("ClaimMail during the lease returned %+v", again)
	}

	// The sender fails on m1 and succeeds on m2.
	must(t, "MarkMailFailed", s.MarkMailFailed(ctx, "m1", "dial tcp: connection refused", at(10*time.Minute)))
	must(t, "MarkMailSent", s.MarkMailSent(ctx, "m2", at(time.Minute)))
	// After m2's lease ran out it is still not claimed: it was sent.
	again, err = s.ClaimMail(ctx, at(6*time.Minute), at(11*time.Minute), 10)
	must(t, "ClaimMail(after lease)", err)
	if len(again) != 0 {
		t.Errorf("ClaimMail before m1's retry time returned %+v", again)
	}
	again, err = s.ClaimMail(ctx, at(2*time.Hour), at(2*time.Hour+time.Minute), 10)
	must(t, "ClaimMail(retry)", err)
	r1, rl := w1, later
	r1.Attempts, r1.NextAttemptAt, r1.LastError = 2, at(2*time.Hour+time.Minute), "dial tcp: connection refused"
	rl.Attempts, rl.NextAttemptAt = 1, at(2*time.Hour+time.Minute)
	equal(t, "claimed on retry", byMailID(again), []storage.Mail{rl, r1})

	list, err := s.ListMail(ctx, 10)
	must(t, "ListMail", err)
	// Delivery drops the body: it holds live links.
	w2.SentAt, w2.Body = at(time.Minute), nil
	ws := sent
	ws.SentAt, ws.Body = at(-time.Second), nil
	equal(t, "ListMail at the end", byMailID(list), []storage.Mail{rl, r1, w2, ws})
}

func testMailGiveUp(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, m := range []storage.Mail{mail("dead", at(-time.Minute)), mail("alive", at(-time.Second))} {
		must(t, "EnqueueMail "+m.ID, s.EnqueueMail(ctx, m))
	}
	wantErr(t, "GiveUpMail(missing)", s.GiveUpMail(ctx, "nope", "x", base), storage.ErrNotFound)
	must(t, "GiveUpMail", s.GiveUpMail(ctx, "dead", "550 no such user", at(-30*time.Second)))
	got, err := s.ClaimMail(ctx, at(time.Hour), at(2*time.Hour), 10)
	must(t, "ClaimMail", err)
	alive := mail("alive", at(-time.Second))
	alive.Attempts, alive.NextAttemptAt = 1, at(2*time.Hour)
	equal(t, "claimed (the given-up mail is not)", got, []storage.Mail{alive})
	list, err := s.ListMail(ctx, 10)
	must(t, "ListMail", err)
	dead := mail("dead", at(-time.Minute))
	dead.FailedAt, dead.LastError, dead.Body = at(-30*time.Second), "550 no such user", nil
	equal(t, "ListMail keeps the given-up mail, without its body", list, []storage.Mail{alive, dead})
}

// testMailQueue: the backlog is the mails neither sent nor given up, whether
// due now, leased or waiting for a retry; the oldest is by creation.
func testMailQueue(t *testing.T, s storage.Store) {
	ctx := t.Context()
	q, err := s.MailQueue(ctx)
	must(t, "MailQueue(empty)", err)
	if q.Pending != 0 || !q.Oldest.IsZero() {
		t.Fatalf("MailQueue on an empty store = %+v", q)
	}
	sent, failed := mail("sent", at(-3*time.Hour)), mail("failed", at(-2*time.Hour))
	retry := mail("retry", at(-time.Hour))
	retry.NextAttemptAt = at(time.Hour)
	for _, m := range []storage.Mail{sent, failed, retry, mail("new", base)} {
		must(t, "EnqueueMail "+m.ID, s.EnqueueMail(ctx, m))
	}
	must(t, "MarkMailSent", s.MarkMailSent(ctx, "sent", base))
	must(t, "GiveUpMail", s.GiveUpMail(ctx, "failed", "550", base))
	q, err = s.MailQueue(ctx)
	must(t, "MailQueue", err)
	if q.Pending != 2 || !q.Oldest.Equal(at(-time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("MailQueue = %+v, want 2 pending, the oldest created at %v", q, at(-time.Hour))
	}
}
