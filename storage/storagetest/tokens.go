package storagetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var tokenTests = []subTest{
	{"Tokens/RoundTrip", testTokenRoundTrip},
	{"Tokens/Errors", testTokenErrors},
	{"Tokens/Invalidate", testTokenInvalidate},
	{"Tokens/Rotate", testTokenRotate},
	{"Tokens/CreateMany", testTokenCreateMany},
	{"Tokens/Deactivate", testTokenDeactivate},
	{"Tokens/SessionClients", testSessionClients},
	{"Tokens/DeleteByRequestID", testTokenDeleteByRequestID},
	{"Tokens/DeleteExpired", testTokenDeleteExpired},
}

var allKinds = []storage.TokenKind{
	storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken, storage.KindPKCE, storage.KindOIDC,
}

func testTokenRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	// The same signature under every kind: (Kind, Signature) is the key.
	for _, k := range allKinds {
		want := fullToken(k, "sig", "req-"+string(k), base)
		must(t, "CreateToken "+string(k), s.CreateToken(ctx, want))
	}
	for _, k := range allKinds {
		got, err := s.GetToken(ctx, k, "sig")
		must(t, "GetToken "+string(k), err)
		equal(t, "GetToken "+string(k), got, fullToken(k, "sig", "req-"+string(k), base))
	}

	bare := storage.TokenRecord{Kind: storage.KindAccessToken, Signature: "bare", RequestID: "r", ExpiresAt: at(time.Hour),
		Scopes: []string{}, Session: []byte{}}
	must(t, "CreateToken(bare)", s.CreateToken(ctx, bare))
	got, err := s.GetToken(ctx, storage.KindAccessToken, "bare")
	must(t, "GetToken(bare)", err)
	equal(t, "GetToken(bare)", got, bare)
	wantNilEmpty(t, "GetToken(bare)", got)
	if got.Active {
		t.Error("a record created inactive came back active")
	}
}

func testTokenErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	orig := fullToken(storage.KindRefreshToken, "sig", "req", base)
	must(t, "CreateToken", s.CreateToken(ctx, orig))
	dup := fullToken(storage.KindRefreshToken, "sig", "other", at(time.Hour))
	wantErr(t, "CreateToken(taken kind+signature)", s.CreateToken(ctx, dup), storage.ErrAlreadyExists)
	got, err := s.GetToken(ctx, storage.KindRefreshToken, "sig")
	must(t, "GetToken", err)
	equal(t, "token after refused duplicate", got, orig)

	_, err = s.GetToken(ctx, storage.KindRefreshToken, "missing")
	wantErr(t, "GetToken(missing)", err, storage.ErrNotFound)
	_, err = s.GetToken(ctx, storage.KindAccessToken, "sig")
	wantErr(t, "GetToken(other kind)", err, storage.ErrNotFound)
	wantErr(t, "DeleteToken(missing)", s.DeleteToken(ctx, storage.KindRefreshToken, "missing"), storage.ErrNotFound)
	wantErr(t, "DeleteToken(other kind)", s.DeleteToken(ctx, storage.KindAccessToken, "sig"), storage.ErrNotFound)
	wantErr(t, "InvalidateToken(missing)", s.InvalidateToken(ctx, storage.KindRefreshToken, "missing", base), storage.ErrNotFound)

	must(t, "DeleteToken", s.DeleteToken(ctx, storage.KindRefreshToken, "sig"))
	_, err = s.GetToken(ctx, storage.KindRefreshToken, "sig")
	wantErr(t, "GetToken(deleted)", err, storage.ErrNotFound)
	wantErr(t, "DeleteToken(again)", s.DeleteToken(ctx, storage.KindRefreshToken, "sig"), storage.ErrNotFound)
}

func testTokenInvalidate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, k := range []storage.TokenKind{storage.KindAuthorizeCode, storage.KindRefreshToken} {
		orig := fullToken(k, "sig", "req", base)
		orig.FirstUsedAt = time.Time{}
		must(t, "CreateToken", s.CreateToken(ctx, orig))
		used := at(5 * time.Minute)
		must(t, "InvalidateToken "+string(k), s.InvalidateToken(ctx, k, "sig", used))
		got, err := s.GetToken(ctx, k, "sig")
		must(t, "GetToken(inactive) "+string(k), err)
		want := orig
		want.Active = false
		want.FirstUsedAt = used
		equal(t, "token after InvalidateToken", got, want)

		err = s.InvalidateToken(ctx, k, "sig", at(6*time.Minute))
		wantErr(t, "InvalidateToken(again) "+string(k), err, storage.ErrInactive)
		got, err = s.GetToken(ctx, k, "sig")
		must(t, "GetToken", err)
		equal(t, "second InvalidateToken changed nothing", got, want)
	}
	// Created inactive: never valid.
	rec := fullToken(storage.KindAccessToken, "off", "req2", base)
	rec.Active = false
	must(t, "CreateToken(inactive)", s.CreateToken(ctx, rec))
	wantErr(t, "InvalidateToken(created inactive)", s.InvalidateToken(ctx, storage.KindAccessToken, "off", base), storage.ErrInactive)
}

func testTokenRotate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	refresh := fullToken(storage.KindRefreshToken, "rt", "req", base)
	refresh.FirstUsedAt = time.Time{}
	refresh.AccessSignature = "at"
	access := fullToken(storage.KindAccessToken, "at", "req", base)
	access.FirstUsedAt = time.Time{}
	// Another access token of the same request is not the paired one.
	other := fullToken(storage.KindAccessToken, "at2", "req", base)
	for _, r := range []storage.TokenRecord{refresh, access, other} {
		must(t, "CreateToken "+r.Signature, s.CreateToken(ctx, r))
	}
	used := at(5 * time.Minute)
	got, err := s.RotateToken(ctx, storage.KindRefreshToken, "rt", used)
	must(t, "RotateToken", err)
	want := refresh
	want.Active = false
	want.FirstUsedAt = used
	equal(t, "RotateToken's record", got, want)
	stored, err := s.GetToken(ctx, storage.KindRefreshToken, "rt")
	must(t, "GetToken(rotated)", err)
	equal(t, "rotated record", stored, want)
	gotAccess, err := s.GetToken(ctx, storage.KindAccessToken, "at")
	must(t, "GetToken(paired access token)", err)
	wantAccess := access
	wantAccess.Active = false
	wantAccess.FirstUsedAt = used
	equal(t, "paired access token after RotateToken", gotAccess, wantAccess)
	gotOther, err := s.GetToken(ctx, storage.KindAccessToken, "at2")
	must(t, "GetToken(other access token)", err)
	equal(t, "unpaired access token after RotateToken", gotOther, other)

	_, err = s.RotateToken(ctx, storage.KindRefreshToken, "rt", at(6*time.Minute))
	wantErr(t, "RotateToken(again)", err, storage.ErrInactive)
	stored, err = s.GetToken(ctx, storage.KindRefreshToken, "rt")
	must(t, "GetToken", err)
	equal(t, "second RotateToken changed nothing", stored, want)
	_, err = s.RotateToken(ctx, storage.KindRefreshToken, "missing", base)
	wantErr(t, "RotateToken(missing)", err, storage.ErrNotFound)
	_, err = s.RotateToken(ctx, storage.KindAccessToken, "rt", base)
	wantErr(t, "RotateToken(other kind)", err, storage.ErrNotFound)

	// No paired token, or one already gone: the rotation still succeeds.
	for _, pair := range []string{"", "gone"} {
		r := fullToken(storage.KindRefreshToken, "rt-"+pair, "req2", base)
		r.AccessSignature = pair
		must(t, "CreateToken", s.CreateToken(ctx, r))
		got, err := s.RotateToken(ctx, storage.KindRefreshToken, r.Signature, used)
		must(t, "RotateToken(pair "+pair+")", err)
		if got.Active || !sameTime(got.FirstUsedAt, used) || got.AccessSignature != pair {
			t.Errorf("RotateToken(pair %q) = active %v, first used %v, pair %q", pair, got.Active, got.FirstUsedAt, got.AccessSignature)
		}
	}

	// In a transaction that rolls back, nothing changes.
	r := fullToken(storage.KindRefreshToken, "rt-tx", "req3", base)
	r.AccessSignature = "at-tx"
	must(t, "CreateToken", s.CreateToken(ctx, r))
	must(t, "CreateToken", s.CreateToken(ctx, fullToken(storage.KindAccessToken, "at-tx", "req3", base)))
	errRollback := errors.New("roll back")
	err = s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.RotateToken(ctx, storage.KindRefreshToken, "rt-tx", used); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, "InTx(RotateToken, then fail)", err, errRollback)
	for _, k := range []storage.TokenKind{storage.KindRefreshToken, storage.KindAccessToken} {
		sig := map[storage.TokenKind]string{storage.KindRefreshToken: "rt-tx", storage.KindAccessToken: "at-tx"}[k]
		got, err := s.GetToken(ctx, k, sig)
		must(t, "GetToken after rollback", err)
		if !got.Active {
			t.Errorf("%s still inactive after the transaction rolled back", k)
		}
	}
}

func testTokenCreateMany(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, "CreateTokens(none)", s.CreateTokens(ctx))
	a := fullToken(storage.KindAccessToken, "a", "req", base)
	r := fullToken(storage.KindRefreshToken, "r", "req", base)
	r.AccessSignature = "a"
	must(t, "CreateTokens", s.CreateTokens(ctx, a, r))
	for _, want := range []storage.TokenRecord{a, r} {
		got, err := s.GetToken(ctx, want.Kind, want.Signature)
		must(t, "GetToken "+want.Signature, err)
		equal(t, "CreateTokens record "+want.Signature, got, want)
	}
	// One taken signature: none of them is created.
	fresh := fullToken(storage.KindAccessToken, "fresh", "req2", base)
	err := s.CreateTokens(ctx, fresh, fullToken(storage.KindRefreshToken, "r", "req2", base))
	wantErr(t, "CreateTokens(one taken)", err, storage.ErrAlreadyExists)
	_, err = s.GetToken(ctx, storage.KindAccessToken, "fresh")
	wantErr(t, "GetToken(record of a refused CreateTokens)", err, storage.ErrNotFound)
	got, err := s.GetToken(ctx, storage.KindRefreshToken, "r")
	must(t, "GetToken", err)
	equal(t, "taken record after a refused CreateTokens", got, r)
	// In a transaction the records appear with its commit.
	must(t, "InTx(CreateTokens)", s.InTx(ctx, func(ctx context.Context) error {
		return s.CreateTokens(ctx, fresh)
	}))
	if _, err := s.GetToken(ctx, storage.KindAccessToken, "fresh"); err != nil {
		t.Errorf("record of a committed CreateTokens: %v", err)
	}
}

func testTokenDeactivate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	type spec struct {
		kind      storage.TokenKind
		sig       string
		req       string
		subject   string
		client    string
		session   string
		org       string
		requested time.Time
	}
	specs := []spec{
		{storage.KindAccessToken, "a1", "r1", "alice", "app", "sess1", "o1", at(-time.Hour)},
		{storage.KindRefreshToken, "f1", "r1", "alice", "app", "sess1", "o1", at(-time.Hour)},
		{storage.KindAccessToken, "a2", "r2", "alice", "cli", "sess2", "o2", base},
		{storage.KindRefreshToken, "f2", "r2", "alice", "cli", "sess2", "o2", base},
		{storage.KindAccessToken, "a3", "r3", "bob", "app", "sess3", "o1", base},
		{storage.KindRefreshToken, "f3", "r3", "bob", "app", "sess3", "o1", base},
		{storage.KindAuthorizeCode, "c3", "r3", "bob", "app", "sess3", "o1", base},
	}
	reset := func() {
		t.Helper()
		for _, sp := range specs {
			_ = s.DeleteToken(ctx, sp.kind, sp.sig)
			r := fullToken(sp.kind, sp.sig, sp.req, sp.requested)
			r.Subject, r.ClientID, r.SessionID, r.OrgID = sp.subject, sp.client, sp.session, sp.org
			must(t, "CreateToken "+sp.sig, s.CreateToken(ctx, r))
		}
	}
	for _, c := range []struct {
		name   string
		filter storage.TokenFilter
		want   []string // signatures made inactive
	}{
		{"by request", storage.TokenFilter{RequestID: "r1"}, []string{"a1", "f1"}},
		{"by request and kind", storage.TokenFilter{RequestID: "r3", Kinds: []storage.TokenKind{storage.KindRefreshToken, storage.KindAuthorizeCode}}, []string{"f3", "c3"}},
		{"by subject", storage.TokenFilter{Subject: "alice"}, []string{"a1", "f1", "a2", "f2"}},
		{"by subject and client", storage.TokenFilter{Subject: "alice", ClientID: "cli"}, []string{"a2", "f2"}},
		{"by subject and org", storage.TokenFilter{Subject: "alice", OrgID: "o1"}, []string{"a1", "f1"}},
		{"by session", storage.TokenFilter{SessionID: "sess3"}, []string{"a3", "f3", "c3"}},
		{"by session and kind", storage.TokenFilter{SessionID: "sess3", Kinds: []storage.TokenKind{storage.KindAccessToken}}, []string{"a3"}},
		{"issued before", storage.TokenFilter{Subject: "alice", IssuedBefore: at(-time.Minute)}, []string{"a1", "f1"}},
		{"no match", storage.TokenFilter{Subject: "carol"}, nil},
	} {
		reset()
		n, err := s.DeactivateTokens(ctx, c.filter)
		must(t, "DeactivateTokens "+c.name, err)
		if n != len(c.want) {
			t.Errorf("DeactivateTokens(%s) = %d, want %d", c.name, n, len(c.want))
		}
		for _, sp := range specs {
			got, err := s.GetToken(ctx, sp.kind, sp.sig)
			must(t, "GetToken", err)
			if inactive := slices.Contains(c.want, sp.sig); got.Active == inactive {
				t.Errorf("DeactivateTokens(%s): %s active = %v, want %v", c.name, sp.sig, got.Active, !inactive)
			}
		}
		// Rows stay (reuse detection needs them) and only changes count.
		n, err = s.DeactivateTokens(ctx, c.filter)
		must(t, "DeactivateTokens(again) "+c.name, err)
		if n != 0 {
			t.Errorf("DeactivateTokens(%s) again = %d, want 0: already inactive rows do not change", c.name, n)
		}
	}

	// A filter naming none of Subject, SessionID, RequestID would hit
	// everything: it is refused and changes nothing.
	reset()
	for _, f := range []storage.TokenFilter{{}, {ClientID: "app"}, {OrgID: "o1", Kinds: allKinds}} {
		if _, err := s.DeactivateTokens(ctx, f); err == nil {
			t.Errorf("DeactivateTokens(%+v) succeeded; want an error", f)
		}
	}
	for _, sp := range specs {
		got, err := s.GetToken(ctx, sp.kind, sp.sig)
		must(t, "GetToken", err)
		if !got.Active {
			t.Errorf("refused DeactivateTokens deactivated %s", sp.sig)
		}
	}
}

func testSessionClients(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, c := range []struct{ sig, session, client string }{
		{"1", "sess", "zeta"}, {"2", "sess", "alpha"}, {"3", "sess", "zeta"}, {"4", "other", "beta"},
	} {
		r := fullToken(allKinds[i%len(allKinds)], c.sig, "req"+c.sig, base)
		r.SessionID, r.ClientID = c.session, c.client
		must(t, "CreateToken", s.CreateToken(ctx, r))
	}
	// Inactive records still count: the client signed in through the session.
	must(t, "InvalidateToken", s.InvalidateToken(ctx, allKinds[1], "2", base))
	got, err := s.SessionClients(ctx, "sess")
	must(t, "SessionClients", err)
	slices.Sort(got)
	equal(t, "SessionClients", got, []string{"alpha", "zeta"})
	got, err = s.SessionClients(ctx, "nothing")
	must(t, "SessionClients(nothing)", err)
	if len(got) != 0 {
		t.Errorf("SessionClients(nothing) = %v", got)
	}
}

func testTokenDeleteByRequestID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, r := range []storage.TokenRecord{
		fullToken(storage.KindRefreshToken, "f1", "r1", base),
		fullToken(storage.KindRefreshToken, "f2", "r1", base),
		fullToken(storage.KindAccessToken, "a1", "r1", base),
		fullToken(storage.KindRefreshToken, "f3", "r2", base),
	} {
		must(t, "CreateToken", s.CreateToken(ctx, r))
	}
	must(t, "DeleteTokensByRequestID", s.DeleteTokensByRequestID(ctx, storage.KindRefreshToken, "r1"))
	for _, c := range []struct {
		kind storage.TokenKind
		sig  string
		gone bool
	}{
		{storage.KindRefreshToken, "f1", true},
		{storage.KindRefreshToken, "f2", true},
		{storage.KindAccessToken, "a1", false},
		{storage.KindRefreshToken, "f3", false},
	} {
		_, err := s.GetToken(ctx, c.kind, c.sig)
		if c.gone {
			wantErr(t, "GetToken("+c.sig+") after DeleteTokensByRequestID", err, storage.ErrNotFound)
		} else if err != nil {
			t.Errorf("DeleteTokensByRequestID removed %s: %v", c.sig, err)
		}
	}
	must(t, "DeleteTokensByRequestID(nothing left)", s.DeleteTokensByRequestID(ctx, storage.KindRefreshToken, "r1"))
}

func testTokenDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, sig := range []string{"e1", "e2", "e3"} {
		r := fullToken(allKinds[i], sig, "r"+sig, at(-2*time.Hour))
		r.ExpiresAt = at(-time.Duration(i+1) * time.Minute)
		r.Active = i != 0 // inactive rows expire the same way
		must(t, "CreateToken", s.CreateToken(ctx, r))
	}
	live := fullToken(storage.KindRefreshToken, "live", "rl", at(-2*time.Hour))
	live.ExpiresAt = at(time.Second)
	must(t, "CreateToken(live)", s.CreateToken(ctx, live))
	for _, want := range []int{2, 1, 0} {
		n, err := s.DeleteExpiredTokens(ctx, base, 2)
		must(t, "DeleteExpiredTokens", err)
		if n != want {
			t.Errorf("DeleteExpiredTokens(limit 2) = %d, want %d", n, want)
		}
	}
	for i, sig := range []string{"e1", "e2", "e3"} {
		_, err := s.GetToken(ctx, allKinds[i], sig)
		wantErr(t, "GetToken(swept "+sig+")", err, storage.ErrNotFound)
	}
	if _, err := s.GetToken(ctx, storage.KindRefreshToken, "live"); err != nil {
		t.Errorf("unexpired token was swept: %v", err)
	}
}
