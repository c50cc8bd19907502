package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var mfaTests = []subTest{
	{"MFA/TOTPRoundTrip", testTOTPRoundTrip},
	{"MFA/TOTPUpdateSerialized", testTOTPUpdateSerialized},
	{"MFA/RecoveryCodes", testRecoveryCodes},
	{"MFA/Challenges", testMFAChallenges},
	{"MFA/OrgFlag", testOrgRequireMFA},
	{"MFA/OrgPasskeyFlag", testOrgRequirePasskey},
	{"MFA/UserDeleteCascades", testMFACascade},
}

func testTOTPRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	_, err := s.GetTOTP(ctx, "u1")
	wantErr(t, "GetTOTP(none)", err, storage.ErrNotFound)
	wantErr(t, "PutTOTP(unknown user)", s.PutTOTP(ctx, storage.TOTPFactor{UserID: "ghost", Secret: []byte{1}}), storage.ErrNotFound)

	pending := storage.TOTPFactor{UserID: "u1", Secret: []byte("sealed-1"), CreatedAt: base}
	must(t, "PutTOTP", s.PutTOTP(ctx, pending))
	got, err := s.GetTOTP(ctx, "u1")
	must(t, "GetTOTP", err)
	equal(t, "GetTOTP", got, pending)

	// A new enrollment replaces the old secret entirely.
	active := storage.TOTPFactor{UserID: "u1", Secret: []byte("sealed-2"), ConfirmedAt: at(time.Minute), LastStep: 42, CreatedAt: at(time.Second)}
	must(t, "PutTOTP(replace)", s.PutTOTP(ctx, active))
	got, err = s.GetTOTP(ctx, "u1")
	must(t, "GetTOTP(replaced)", err)
	equal(t, "GetTOTP(replaced)", got, active)

	err = s.UpdateTOTP(ctx, "u1", func(f storage.TOTPFactor) (storage.TOTPFactor, error) { return f, errBoom })
	wantErr(t, "UpdateTOTP(fn fails)", err, errBoom)
	must(t, "UpdateTOTP", s.UpdateTOTP(ctx, "u1", func(f storage.TOTPFactor) (storage.TOTPFactor, error) {
		f.LastStep = 43
		return f, nil
	}))
	got, _ = s.GetTOTP(ctx, "u1")
	if got.LastStep != 43 || string(got.Secret) != "sealed-2" {
		t.Errorf("after UpdateTOTP: %+v", got)
	}
	err = s.UpdateTOTP(ctx, "ghost", func(f storage.TOTPFactor) (storage.TOTPFactor, error) { return f, nil })
	wantErr(t, "UpdateTOTP(missing)", err, storage.ErrNotFound)

	must(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{hashOf("a")}, base))
	must(t, "DeleteTOTP", s.DeleteTOTP(ctx, "u1"))
	_, err = s.GetTOTP(ctx, "u1")
	wantErr(t, "GetTOTP(deleted)", err, storage.ErrNotFound)
	if n, err := s.CountRecoveryCodes(ctx, "u1"); err != nil || n != 0 {
		t.Errorf("recovery codes after DeleteTOTP: %d, %v; want 0", n, err)
	}
	wantErr(t, "DeleteTOTP(again)", s.DeleteTOTP(ctx, "u1"), storage.ErrNotFound)
}

// testTOTPUpdateSerialized: replay protection rests on UpdateTOTP seeing
// every earlier write. Many callers each accept "step 7" only if no one did.
func testTOTPUpdateSerialized(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	must(t, "PutTOTP", s.PutTOTP(ctx, storage.TOTPFactor{UserID: "u1", Secret: []byte("x"), ConfirmedAt: base, LastStep: 6}))
	errReplay := errors.New("replay")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UpdateTOTP(ctx, "u1", func(f storage.TOTPFactor) (storage.TOTPFactor, error) {
				if f.LastStep >= 7 {
					return f, errReplay
				}
				f.LastStep = 7
				return f, nil
			})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, errReplay):
		default:
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent callers accepted the same step; want exactly 1", won)
	}
}

func testRecoveryCodes(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	seedUser(t, s, "u2")
	wantErr(t, "ReplaceRecoveryCodes(unknown user)", s.ReplaceRecoveryCodes(ctx, "ghost", [][]byte{hashOf("a")}, base), storage.ErrNotFound)
	must(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{hashOf("a"), hashOf("b"), hashOf("c")}, base))
	must(t, "ReplaceRecoveryCodes(u2)", s.ReplaceRecoveryCodes(ctx, "u2", [][]byte{hashOf("z")}, base))
	if n, err := s.CountRecoveryCodes(ctx, "u1"); err != nil || n != 3 {
		t.Fatalf("CountRecoveryCodes = %d, %v; want 3", n, err)
	}
	wantErr(t, "UseRecoveryCode(someone else's)", s.UseRecoveryCode(ctx, "u1", hashOf("z")), storage.ErrNotFound)
	must(t, "UseRecoveryCode", s.UseRecoveryCode(ctx, "u1", hashOf("b")))
	wantErr(t, "UseRecoveryCode(used)", s.UseRecoveryCode(ctx, "u1", hashOf("b")), storage.ErrNotFound)
	if n, _ := s.CountRecoveryCodes(ctx, "u1"); n != 2 {
		t.Errorf("CountRecoveryCodes after a use = %d; want 2", n)
	}

	// Concurrent uses of one code: exactly one succeeds.
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UseRecoveryCode(ctx, "u1", hashOf("a"))
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, storage.ErrNotFound):
		default:
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent uses of one recovery code succeeded; want exactly 1", won)
	}

	// Regenerating replaces every old code.
	must(t, "ReplaceRecoveryCodes(again)", s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{hashOf("new")}, at(time.Hour)))
	wantErr(t, "UseRecoveryCode(replaced)", s.UseRecoveryCode(ctx, "u1", hashOf("c")), storage.ErrNotFound)
	must(t, "UseRecoveryCode(new)", s.UseRecoveryCode(ctx, "u1", hashOf("new")))
	if n, _ := s.CountRecoveryCodes(ctx, "u2"); n != 1 {
		t.Errorf("u2's codes changed: %d; want 1", n)
	}
}

func testMFAChallenges(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	c := storage.MFAChallenge{TokenHash: hashOf("c1"), UserID: "u1", RequestID: "req1", ReturnTo: "/account",
		CreatedAt: base, ExpiresAt: at(5 * time.Minute)}
	must(t, "CreateMFAChallenge", s.CreateMFAChallenge(ctx, c))
	wantErr(t, "CreateMFAChallenge(taken)", s.CreateMFAChallenge(ctx, c), storage.ErrAlreadyExists)
	wantErr(t, "CreateMFAChallenge(unknown user)", s.CreateMFAChallenge(ctx, storage.MFAChallenge{
		TokenHash: hashOf("c2"), UserID: "ghost", CreatedAt: base, ExpiresAt: at(time.Minute)}), storage.ErrNotFound)
	got, err := s.GetMFAChallenge(ctx, hashOf("c1"), at(time.Minute))
	must(t, "GetMFAChallenge", err)
	equal(t, "GetMFAChallenge", got, c)
	_, err = s.GetMFAChallenge(ctx, hashOf("c1"), at(6*time.Minute))
	wantErr(t, "GetMFAChallenge(expired)", err, storage.ErrNotFound)
	_, err = s.GetMFAChallenge(ctx, hashOf("nope"), base)
	wantErr(t, "GetMFAChallenge(unknown)", err, storage.ErrNotFound)

	bare := storage.MFAChallenge{TokenHash: hashOf("bare"), UserID: "u1", CreatedAt: base, ExpiresAt: at(time.Minute)}
	must(t, "CreateMFAChallenge(bare)", s.CreateMFAChallenge(ctx, bare))
	got, err = s.GetMFAChallenge(ctx, hashOf("bare"), base)
	must(t, "GetMFAChallenge(bare)", err)
	equal(t, "GetMFAChallenge(bare)", got, bare)

	must(t, "DeleteMFAChallenge", s.DeleteMFAChallenge(ctx, hashOf("c1")))
	wantErr(t, "DeleteMFAChallenge(again)", s.DeleteMFAChallenge(ctx, hashOf("c1")), storage.ErrNotFound)

	// Creating a challenge sweeps the expired ones.
	must(t, "CreateMFAChallenge(later)", s.CreateMFAChallenge(ctx, storage.MFAChallenge{
		TokenHash: hashOf("later"), UserID: "u1", CreatedAt: at(time.Hour), ExpiresAt: at(time.Hour + time.Minute)}))
	wantErr(t, "DeleteMFAChallenge(swept)", s.DeleteMFAChallenge(ctx, hashOf("bare")), storage.ErrNotFound)
}

func testOrgRequireMFA(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Beta", base)
	seedUser(t, s, "u1")
	for _, org := range []string{"o1", "o2"} {
		must(t, "AddMembership "+org, s.AddMembership(ctx, storage.Membership{OrgID: org, UserID: "u1", Role: "member", CreatedAt: base}))
	}
	// Every membership read carries the organization's current flag: a
	// refresh grant decides on it without reading the organization.
	memberships := func(want1, want2 bool) {
		t.Helper()
		m, err := s.GetMembership(ctx, "o1", "u1")
		must(t, "GetMembership", err)
		if m.OrgRequireMFA != want1 {
			t.Errorf("GetMembership(o1).OrgRequireMFA = %v, want %v", m.OrgRequireMFA, want1)
		}
		byUser, err := s.ListMembershipsByUser(ctx, "u1")
		must(t, "ListMembershipsByUser", err)
		if len(byUser) != 2 || byUser[0].OrgRequireMFA != want1 || byUser[1].OrgRequireMFA != want2 {
			t.Errorf("ListMembershipsByUser = %+v, want OrgRequireMFA %v, %v", byUser, want1, want2)
		}
		byOrg, err := s.ListMembersByOrg(ctx, "o1")
		must(t, "ListMembersByOrg", err)
		if len(byOrg) != 1 || byOrg[0].OrgRequireMFA != want1 {
			t.Errorf("ListMembersByOrg(o1) = %+v, want OrgRequireMFA %v", byOrg, want1)
		}
	}
	memberships(false, false)
	must(t, "UpdateOrg", s.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.RequireMFA = true
		return o, nil
	}))
	memberships(true, false)
	o, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	if !o.RequireMFA {
		t.Error("RequireMFA did not survive UpdateOrg")
	}
	list, err := s.ListOrgs(ctx)
	must(t, "ListOrgs", err)
	if len(list) != 2 || !list[0].RequireMFA || list[1].RequireMFA {
		t.Errorf("ListOrgs = %+v; want RequireMFA set on Acme only", list)
	}
}

// testOrgRequirePasskey: the passkey requirement is its own flag, carried
// by every membership read like RequireMFA and independent of it.
func testOrgRequirePasskey(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedOrg(t, s, "o1", "Acme", base)
	seedOrg(t, s, "o2", "Beta", base)
	seedUser(t, s, "u1")
	for _, org := range []string{"o1", "o2"} {
		must(t, "AddMembership "+org, s.AddMembership(ctx, storage.Membership{OrgID: org, UserID: "u1", Role: "member", CreatedAt: base}))
	}
	must(t, "UpdateOrg", s.UpdateOrg(ctx, "o2", func(o storage.Organization) (storage.Organization, error) {
		o.RequirePasskey = true
		return o, nil
	}))
	m, err := s.GetMembership(ctx, "o2", "u1")
	must(t, "GetMembership", err)
	if !m.OrgRequirePasskey || m.OrgRequireMFA {
		t.Errorf("GetMembership(o2) = %+v, want OrgRequirePasskey only", m)
	}
	byUser, err := s.ListMembershipsByUser(ctx, "u1")
	must(t, "ListMembershipsByUser", err)
	if len(byUser) != 2 || byUser[0].OrgRequirePasskey || !byUser[1].OrgRequirePasskey {
		t.Errorf("ListMembershipsByUser = %+v, want OrgRequirePasskey on Beta only", byUser)
	}
	byOrg, err := s.ListMembersByOrg(ctx, "o2")
	must(t, "ListMembersByOrg", err)
	if len(byOrg) != 1 || !byOrg[0].OrgRequirePasskey {
		t.Errorf("ListMembersByOrg(o2) = %+v, want OrgRequirePasskey", byOrg)
	}
	o, err := s.GetOrg(ctx, "o2")
	must(t, "GetOrg", err)
	if !o.RequirePasskey || o.RequireMFA {
		t.Errorf("GetOrg(o2) = %+v, want RequirePasskey only", o)
	}
	list, err := s.ListOrgs(ctx)
	must(t, "ListOrgs", err)
	if len(list) != 2 || list[0].RequirePasskey || !list[1].RequirePasskey {
		t.Errorf("ListOrgs = %+v; want RequirePasskey set on Beta only", list)
	}
}

func testMFACascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	seedUser(t, s, "u1")
	must(t, "PutTOTP", s.PutTOTP(ctx, storage.TOTPFactor{UserID: "u1", Secret: []byte("x")}))
	must(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{hashOf("a")}, base))
	must(t, "CreateMFAChallenge", s.CreateMFAChallenge(ctx, storage.MFAChallenge{TokenHash: hashOf("c"), UserID: "u1",
		CreatedAt: base, ExpiresAt: at(time.Minute)}))
	must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
	_, err := s.GetTOTP(ctx, "u1")
	wantErr(t, "GetTOTP after DeleteUser", err, storage.ErrNotFound)
	if n, _ := s.CountRecoveryCodes(ctx, "u1"); n != 0 {
		t.Errorf("recovery codes survive DeleteUser: %d", n)
	}
	_, err = s.GetMFAChallenge(ctx, hashOf("c"), base)
	wantErr(t, "GetMFAChallenge after DeleteUser", err, storage.ErrNotFound)
}
