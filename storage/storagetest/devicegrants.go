package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

var deviceGrantTests = []subTest{
	{"DeviceGrants/CRUD", testDeviceGrantCRUD},
	{"DeviceGrants/DeleteExpired", testDeviceGrantDeleteExpired},
}

func fullDeviceGrant(code string, created time.Time) storage.DeviceGrant {
	return storage.DeviceGrant{
		DeviceCodeHash: hashOf("device-" + code),
		UserCodeHash:   hashOf("user-" + code),
		ClientID:       "client-1",
		Scopes:         []string{"openid", "offline_access"},
		Interval:       5 * time.Second,
		Status:         storage.DeviceGrantPending,
		CreatedAt:      created,
		ExpiresAt:      created.Add(10 * time.Minute),
	}
}

func testDeviceGrantCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := fullDeviceGrant("a", base)
	must(t, "CreateDeviceGrant", s.CreateDeviceGrant(ctx, want))
	got, err := s.GetDeviceGrant(ctx, want.DeviceCodeHash)
	must(t, "GetDeviceGrant", err)
	equal(t, "GetDeviceGrant", got, want)
	wantNilEmpty(t, "GetDeviceGrant", got)
	got, err = s.GetDeviceGrantByUserCode(ctx, want.UserCodeHash, base)
	must(t, "GetDeviceGrantByUserCode", err)
	equal(t, "GetDeviceGrantByUserCode", got, want)

	taken := fullDeviceGrant("b", base)
	taken.DeviceCodeHash = want.DeviceCodeHash
	wantErr(t, "CreateDeviceGrant(taken device code)", s.CreateDeviceGrant(ctx, taken), storage.ErrAlreadyExists)
	taken = fullDeviceGrant("b", base)
	taken.UserCodeHash = want.UserCodeHash
	wantErr(t, "CreateDeviceGrant(taken user code)", s.CreateDeviceGrant(ctx, taken), storage.ErrAlreadyExists)

	// Expired: absent by user code (the page), present by device code (the
	// token endpoint answers expired_token, RFC 8628 §3.5).
	_, err = s.GetDeviceGrantByUserCode(ctx, want.UserCodeHash, at(10*time.Minute+time.Second))
	wantErr(t, "GetDeviceGrantByUserCode(expired)", err, storage.ErrNotFound)
	_, err = s.GetDeviceGrantByUserCode(ctx, want.UserCodeHash, at(10*time.Minute-time.Second))
	must(t, "GetDeviceGrantByUserCode(just before expiry)", err)
	_, err = s.GetDeviceGrant(ctx, hashOf("missing"))
	wantErr(t, "GetDeviceGrant(missing)", err, storage.ErrNotFound)
	_, err = s.GetDeviceGrantByUserCode(ctx, hashOf("missing"), base)
	wantErr(t, "GetDeviceGrantByUserCode(missing)", err, storage.ErrNotFound)

	err = s.UpdateDeviceGrant(ctx, want.DeviceCodeHash, func(g storage.DeviceGrant) (storage.DeviceGrant, error) {
		g.Status = storage.DeviceGrantDenied
		return g, errBoom
	})
	wantErr(t, "UpdateDeviceGrant(fn error)", err, errBoom)
	got, err = s.GetDeviceGrant(ctx, want.DeviceCodeHash)
	must(t, "GetDeviceGrant", err)
	equal(t, "device grant after failed update", got, want)

	upd := want
	upd.Status = storage.DeviceGrantApproved
	upd.LastPolledAt = at(time.Minute)
	upd.Interval = 10 * time.Second
	upd.UserID, upd.SessionID, upd.OrgID, upd.IdP = "u1", "s1", "o1", "github"
	upd.AMR = []string{"pwd", "otp"}
	upd.AuthTime = at(30 * time.Second)
	upd.GrantedScopes = []string{"openid"}
	upd.DeviceCodeHash, upd.UserCodeHash = hashOf("x"), hashOf("y") // cannot change
	var seen storage.DeviceGrant
	must(t, "UpdateDeviceGrant", s.UpdateDeviceGrant(ctx, want.DeviceCodeHash, func(g storage.DeviceGrant) (storage.DeviceGrant, error) {
		seen = g
		return upd, nil
	}))
	equal(t, "UpdateDeviceGrant fn input", seen, want)
	got, err = s.GetDeviceGrant(ctx, want.DeviceCodeHash)
	must(t, "GetDeviceGrant after update", err)
	upd.DeviceCodeHash, upd.UserCodeHash = want.DeviceCodeHash, want.UserCodeHash
	equal(t, "device grant after update", got, upd)
	err = s.UpdateDeviceGrant(ctx, hashOf("missing"), func(g storage.DeviceGrant) (storage.DeviceGrant, error) { return g, nil })
	wantErr(t, "UpdateDeviceGrant(missing)", err, storage.ErrNotFound)
}

func testDeviceGrantDeleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, code := range []string{"a", "b", "c"} {
		g := fullDeviceGrant(code, base)
		g.ExpiresAt = at(time.Duration(i) * time.Hour)
		must(t, "CreateDeviceGrant", s.CreateDeviceGrant(ctx, g))
	}
	n, err := s.DeleteExpiredDeviceGrants(ctx, at(90*time.Minute), 1)
	must(t, "DeleteExpiredDeviceGrants", err)
	if n != 1 {
		t.Errorf("DeleteExpiredDeviceGrants(limit 1) = %d, want 1", n)
	}
	n, err = s.DeleteExpiredDeviceGrants(ctx, at(90*time.Minute), 10)
	must(t, "DeleteExpiredDeviceGrants", err)
	if n != 1 {
		t.Errorf("DeleteExpiredDeviceGrants = %d, want 1", n)
	}
	_, err = s.GetDeviceGrant(ctx, hashOf("device-c"))
	must(t, "GetDeviceGrant(unexpired)", err)
}

// testRaceDeviceGrantRedeem: many polls of one approved device code at
// once, each moving it from approved to redeemed inside its own
// transaction (as the token endpoint does): exactly one sees it approved.
func testRaceDeviceGrantRedeem(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := fullDeviceGrant("race", base)
	g.Status = storage.DeviceGrantApproved
	must(t, "CreateDeviceGrant", s.CreateDeviceGrant(ctx, g))
	errLost := errors.New("already redeemed")
	errs := race(racers, func(int) error {
		return s.InTx(ctx, func(ctx context.Context) error {
			return s.UpdateDeviceGrant(ctx, g.DeviceCodeHash, func(g storage.DeviceGrant) (storage.DeviceGrant, error) {
				if g.Status != storage.DeviceGrantApproved {
					return g, errLost
				}
				g.Status = storage.DeviceGrantRedeemed
				return g, nil
			})
		})
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, errLost):
			t.Errorf("racer: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racers redeemed the device code, want exactly 1", won)
	}
}
