package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var txTests = []subTest{
	{"Tx/InTxCommits", testInTxCommit},
	{"Tx/InTxRollsBackOnError", testInTxRollback},
	{"Tx/InTxNested", testInTxNested},
	{"Tx/BeginCommit", testBeginCommit},
	{"Tx/BeginRollback", testBeginRollback},
	{"Tx/BeginTwice", testBeginTwice},
	{"Tx/EveryMethodRollsBack", func(t *testing.T, s storage.Store) { testEveryMethodInTx(t, s, false) }},
	{"Tx/EveryMethodCommits", func(t *testing.T, s storage.Store) { testEveryMethodInTx(t, s, true) }},
}

func testInTxCommit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "InTx", s.InTx(ctx, func(ctx context.Context) error {
		if err := s.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com"}); err != nil {
			return err
		}
		// Reads inside see the transaction's own writes.
		if _, err := s.GetUser(ctx, "u1"); err != nil {
			return err
		}
		return s.CreateOrg(ctx, storage.Organization{ID: "o1", Name: "One"})
	}))
	if _, err := s.GetUser(ctx, "u1"); err != nil {
		t.Errorf("user created in a committed InTx: %v", err)
	}
	if _, err := s.GetOrg(ctx, "o1"); err != nil {
		t.Errorf("org created in a committed InTx: %v", err)
	}
}

func testInTxRollback(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "keep")
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com"}); err != nil {
			return err
		}
		if err := s.DeleteUser(ctx, "keep"); err != nil {
			return err
		}
		return errBoom
	})
	wantErr(t, "InTx(fn error)", err, errBoom)
	if errors.Is(err, storage.ErrConflict) {
		t.Errorf("InTx turned fn's error into a conflict: %v", err)
	}
	_, err = s.GetUser(ctx, "u1")
	wantErr(t, "user created in a failed InTx", err, storage.ErrNotFound)
	if _, err := s.GetUser(ctx, "keep"); err != nil {
		t.Errorf("user deleted in a failed InTx is gone: %v", err)
	}

	// A sentinel from inside comes out as itself, so callers can test it.
	err = s.InTx(ctx, func(ctx context.Context) error {
		_, err := s.GetClient(ctx, "missing")
		return err
	})
	wantErr(t, "InTx(fn returns ErrNotFound)", err, storage.ErrNotFound)
}

func testInTxNested(t *testing.T, s storage.Store) {
	ctx := t.Context()
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.InTx(ctx, func(ctx context.Context) error {
			return s.CreateUser(ctx, storage.User{ID: "inner", Email: "inner@example.com"})
		}); err != nil {
			return err
		}
		// The inner InTx ran in this transaction: it did not commit alone.
		if _, err := s.GetUser(ctx, "inner"); err != nil {
			return err
		}
		return errBoom
	})
	wantErr(t, "outer InTx", err, errBoom)
	_, err = s.GetUser(ctx, "inner")
	wantErr(t, "user from an inner InTx after the outer failed", err, storage.ErrNotFound)

	err = s.InTx(ctx, func(ctx context.Context) error {
		inner := s.InTx(ctx, func(ctx context.Context) error { return errBoom })
		if !errors.Is(inner, errBoom) {
			t.Errorf("inner InTx error = %v, want errBoom", inner)
		}
		return s.CreateUser(ctx, storage.User{ID: "outer", Email: "outer@example.com"})
	})
	must(t, "outer InTx after a failed inner one", err)
	if _, err := s.GetUser(ctx, "outer"); err != nil {
		t.Errorf("user from the outer InTx: %v", err)
	}
}

func testBeginCommit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	tx, err := s.BeginTX(ctx)
	must(t, "BeginTX", err)
	must(t, "CreateClient in tx", s.CreateClient(tx, storage.Client{ID: "c1", Name: "one"}))
	must(t, "InTx inside a BeginTX context", s.InTx(tx, func(ctx context.Context) error {
		return s.CreateClient(ctx, storage.Client{ID: "c2", Name: "two"})
	}))
	must(t, "Commit", s.Commit(tx))
	for _, id := range []string{"c1", "c2"} {
		if _, err := s.GetClient(ctx, id); err != nil {
			t.Errorf("client %s after Commit: %v", id, err)
		}
	}
}

func testBeginRollback(t *testing.T, s storage.Store) {
	ctx := t.Context()
	tx, err := s.BeginTX(ctx)
	must(t, "BeginTX", err)
	must(t, "CreateClient in tx", s.CreateClient(tx, storage.Client{ID: "c1", Name: "one"}))
	if _, err := s.GetClient(tx, "c1"); err != nil {
		t.Errorf("GetClient in the tx that created it: %v", err)
	}
	must(t, "Rollback", s.Rollback(tx))
	_, err = s.GetClient(ctx, "c1")
	wantErr(t, "client after Rollback", err, storage.ErrNotFound)
	// The store works normally afterwards.
	must(t, "CreateClient after Rollback", s.CreateClient(ctx, storage.Client{ID: "c1", Name: "one"}))
}

func testBeginTwice(t *testing.T, s storage.Store) {
	ctx := t.Context()
	tx, err := s.BeginTX(ctx)
	must(t, "BeginTX", err)
	if tx2, err := s.BeginTX(tx); err == nil {
		t.Error("BeginTX with a context that carries a transaction succeeded; want an error")
		_ = s.Rollback(tx2)
	}
	must(t, "Rollback", s.Rollback(tx))
	if err := s.Commit(ctx); err == nil {
		t.Error("Commit without a transaction in the context succeeded; want an error")
	}
}

// txStep is one write done inside a transaction. check reads its effect;
// gone proves the effect is absent after a rollback.
type txStep struct {
	name  string
	write func(ctx context.Context) error
	check func(t *testing.T, ctx context.Context)
	gone  func(t *testing.T, ctx context.Context)
}

// testEveryMethodInTx calls every write method with a context carrying a
// transaction and reads its effect through the same context: a method that
// ignored the transaction would miss uncommitted data or block on it. Then
// the transaction rolls back (every effect must vanish) or commits (every
// effect must stay).
func testEveryMethodInTx(t *testing.T, s storage.Store, commit bool) {
	ctx := t.Context()
	seedTxFixtures(t, s)
	steps := txSteps(s)

	tx, err := s.BeginTX(ctx)
	must(t, "BeginTX", err)
	for _, st := range steps {
		if err := st.write(tx); err != nil {
			_ = s.Rollback(tx)
			t.Fatalf("%s in a transaction: %v", st.name, err)
		}
		t.Run("InTx/"+st.name, func(t *testing.T) { st.check(t, tx) })
	}
	if commit {
		must(t, "Commit", s.Commit(tx))
		for _, st := range steps {
			t.Run("AfterCommit/"+st.name, func(t *testing.T) { st.check(t, ctx) })
		}
		return
	}
	must(t, "Rollback", s.Rollback(tx))
	for _, st := range steps {
		t.Run("AfterRollback/"+st.name, func(t *testing.T) { st.gone(t, ctx) })
	}
}

func seedTxFixtures(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := t.Context()
	for _, c := range []string{"c-upd", "c-del"} {
		seedClient(t, s, c)
	}
	for _, u := range []string{"u0", "u-upd", "u-del", "u-all"} {
		seedUser(t, s, u)
	}
	for _, o := range []string{"o0", "o-upd", "o-del"} {
		seedOrg(t, s, o, "Name "+o, base)
	}
	for _, m := range []storage.Membership{{OrgID: "o0", UserID: "u-upd", Role: "member"}, {OrgID: "o0", UserID: "u0", Role: "member"}} {
		must(t, "AddMembership", s.AddMembership(ctx, m))
	}
	for _, x := range []storage.Session{
		{ID: "s-upd", UserID: "u0", ExpiresAt: at(time.Hour)},
		{ID: "s-del", UserID: "u0", ExpiresAt: at(time.Hour)},
		{ID: "s-exp", UserID: "u0", ExpiresAt: at(-time.Hour)},
		{ID: "s-all", UserID: "u-all", ExpiresAt: at(time.Hour)},
	} {
		x.TokenHash = hashOf(x.ID)
		must(t, "CreateSession", s.CreateSession(ctx, x))
	}
	for _, r := range []storage.AuthRequest{
		{ID: "r-upd", ClientID: "c", ExpiresAt: at(time.Hour)},
		{ID: "r-del", ClientID: "c", ExpiresAt: at(time.Hour)},
		{ID: "r-exp", ClientID: "c", ExpiresAt: at(-time.Hour)},
	} {
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	}
	must(t, "PutConsent", s.PutConsent(ctx, storage.Consent{UserID: "u0", ClientID: "c-upd", Scopes: []string{"openid"}}))
	for _, r := range []storage.TokenRecord{
		{Kind: storage.KindRefreshToken, Signature: "t-inv", RequestID: "q1", Active: true, ExpiresAt: at(time.Hour)},
		{Kind: storage.KindAccessToken, Signature: "t-deact", RequestID: "q2", Subject: "subj-deact", SessionID: "sid-x", ClientID: "cl-x", Active: true, ExpiresAt: at(time.Hour)},
		{Kind: storage.KindAccessToken, Signature: "t-del", RequestID: "q3", Active: true, ExpiresAt: at(time.Hour)},
		{Kind: storage.KindPKCE, Signature: "t-req", RequestID: "req-del", Active: true, ExpiresAt: at(time.Hour)},
		{Kind: storage.KindOIDC, Signature: "t-exp", RequestID: "q5", Active: true, ExpiresAt: at(-time.Hour)},
	} {
		must(t, "CreateToken", s.CreateToken(ctx, r))
	}
	for _, p := range []storage.PAT{
		{ID: "p-touch", UserID: "u0", Name: "a", TokenHash: hashOf("p-touch")},
		{ID: "p-del", UserID: "u0", Name: "b", TokenHash: hashOf("p-del")},
	} {
		must(t, "CreatePAT", s.CreatePAT(ctx, p))
	}
	for _, o := range []storage.OneTimeToken{
		{TokenHash: hashOf("ott-consume"), Purpose: "verify_email", Email: "x@example.com", ExpiresAt: at(time.Hour)},
		{TokenHash: hashOf("ott-old"), Purpose: "reset_password", Email: "z@example.com", ExpiresAt: at(time.Hour)},
	} {
		must(t, "CreateOneTimeToken", s.CreateOneTimeToken(ctx, o))
	}
	for _, m := range []string{"m-claim", "m-sent", "m-fail"} {
		mm := mail(m, at(-time.Minute))
		mm.NextAttemptAt = at(time.Hour) // only m-claim is made due, below
		if m == "m-claim" {
			mm.NextAttemptAt = at(-time.Minute)
		}
		must(t, "EnqueueMail", s.EnqueueMail(ctx, mm))
	}
	if _, _, err := s.Hit(ctx, "k-reset", time.Hour, base); err != nil {
		t.Fatalf("Hit: %v", err)
	}
}
