package passkey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/passkey/passkeytest"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

const issuer = "https://id.example:8443/tenant"

type ceremonyEnv struct {
	s     *passkey.Service
	store storage.Store
	user  storage.User
	auth  *passkeytest.Authenticator
	cred  *passkeytest.Credential
	now   time.Time
}

// newCeremonies registers one passkey of ada through the service, as the
// account page does.
func newCeremonies(t *testing.T) *ceremonyEnv {
	t.Helper()
	store := sqlitetest.Open(t)
	e := &ceremonyEnv{store: store, now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	e.user = storage.User{ID: "u1", Email: "ada@example.com", Name: "Ada", CreatedAt: e.now, UpdatedAt: e.now}
	for _, u := range []storage.User{e.user, {ID: "u2", Email: "bob@example.com", CreatedAt: e.now, UpdatedAt: e.now}} {
		if err := store.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := passkey.NewRelyingParty(issuer)
	if err != nil {
		t.Fatal(err)
	}
	if rp.ID != "id.example" || rp.Origins[0] != "https://id.example:8443" {
		t.Fatalf("relying party = %q %v, want the issuer's host and origin", rp.ID, rp.Origins)
	}
	e.s = &passkey.Service{Store: store, Audit: store, Users: store, RP: rp, Now: func() time.Time { return e.now }}
	e.auth = passkeytest.New("https://id.example:8443")
	b, err := e.s.BeginRegistration(t.Context(), e.user)
	if err != nil {
		t.Fatal(err)
	}
	resp, cred, err := e.auth.Create(b.Options, passkeytest.Tweak{})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := e.s.FinishRegistration(t.Context(), accounts.Actor{ID: "u1", IP: "192.0.2.1"}, e.user, b.Secret, " Laptop ", resp)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	if pk.Name != "Laptop" || pk.Attachment != "platform" || passkey.KindOf(pk).Type != "platform" {
		t.Fatalf("registered %+v", pk)
	}
	e.cred = cred
	return e
}

func (e *ceremonyEnv) events(t *testing.T, typ string) []storage.AuditEvent {
	t.Helper()
	all, err := e.store.ListAudit(t.Context(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.AuditEvent
	for _, ev := range all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func TestPasswordlessSignIn(t *testing.T) {
	e := newCeremonies(t)
	ctx := t.Context()
	b, err := e.s.BeginSignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.auth.Get(b.Options, nil, passkeytest.Tweak{})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	user, pk, err := e.s.FinishSignIn(ctx, "192.0.2.9", b.Secret, resp)
	if err != nil {
		t.Fatalf("FinishSignIn: %v", err)
	}
	if user.ID != "u1" || pk.SignCount != 1 || !pk.LastUsedAt.Equal(e.now) {
		t.Errorf("signed in %s with %+v", user.ID, pk)
	}
	if got := e.events(t, "passkey.used"); len(got) != 1 || got[0].SubjectID != "u1" || got[0].Details["ceremony"] != "signin" {
		t.Errorf("passkey.used events = %+v", got)
	}
	if got := e.events(t, "passkey.registered"); len(got) != 1 {
		t.Errorf("passkey.registered events = %+v", got)
	}
}

func TestSecondFactor(t *testing.T) {
	e := newCeremonies(t)
	ctx := t.Context()
	if _, err := e.s.BeginSecondFactor(ctx, "u2"); !errors.Is(err, passkey.ErrNoPasskeys) {
		t.Errorf("BeginSecondFactor for a person without passkeys = %v", err)
	}
	b, err := e.s.BeginSecondFactor(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.auth.Get(b.Options, nil, passkeytest.Tweak{})
	if err != nil {
		t.Fatal(err)
	}
	// The ceremony was begun for u1: finishing it as u2 is refused.
	if _, err := e.s.FinishSecondFactor(ctx, "", "u2", b.Secret, resp); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("second factor finished for another person: %v", err)
	}
	b, _ = e.s.BeginSecondFactor(ctx, "u1")
	resp, _ = e.auth.Get(b.Options, nil, passkeytest.Tweak{})
	if _, err := e.s.FinishSecondFactor(ctx, "", "u1", b.Secret, resp); err != nil {
		t.Fatalf("FinishSecondFactor: %v", err)
	}
}

// TestRefusedAssertions: every answer WebAuthn §7.2 says to refuse is
// refused, with a passkey.failed audit event naming the reason.
func TestRefusedAssertions(t *testing.T) {
	zero := uint32(0)
	for _, tc := range []struct {
		name   string
		answer func(e *ceremonyEnv, opts any) ([]byte, error)
		reason string
		want   error
	}{
		{"another challenge", func(e *ceremonyEnv, opts any) ([]byte, error) {
			other, _ := e.s.BeginSignIn(t.Context())
			return e.auth.Get(other.Options, nil, passkeytest.Tweak{})
		}, passkey.ReasonChallengeMismatch, passkey.ErrRefused},
		{"another origin (§7.2 step 13)", func(e *ceremonyEnv, opts any) ([]byte, error) {
			return e.auth.Get(opts, nil, passkeytest.Tweak{Origin: "https://id.example.evil"})
		}, passkey.ReasonOrigin, passkey.ErrRefused},
		{"another RP ID (§7.2 step 15)", func(e *ceremonyEnv, opts any) ([]byte, error) {
			return e.auth.Get(opts, nil, passkeytest.Tweak{RPID: "evil.example"})
		}, passkey.ReasonRPID, passkey.ErrRefused},
		{"wrong user handle (§7.2 step 6)", func(e *ceremonyEnv, opts any) ([]byte, error) {
			return e.auth.Get(opts, nil, passkeytest.Tweak{UserHandle: []byte("u2")})
		}, passkey.ReasonUserHandle, passkey.ErrRefused},
		{"no user verification (§7.2 step 17)", func(e *ceremonyEnv, opts any) ([]byte, error) {
			return e.auth.Get(opts, nil, passkeytest.Tweak{NoUserVerification: true})
		}, passkey.ReasonInvalid, passkey.ErrRefused},
		{"bad signature", func(e *ceremonyEnv, opts any) ([]byte, error) {
			forged := passkeytest.New(e.auth.Origin)
			_, c, _ := forged.Create(map[string]any{"publicKey": map[string]any{"challenge": "AAAA", "rp": map[string]any{"id": "id.example"},
				"user": map[string]any{"id": "dTE"}}}, passkeytest.Tweak{})
			c.ID = e.cred.ID // the right credential id, another key
			return forged.Sign(c, passkeytest.Challenge(opts), passkeytest.Tweak{})
		}, passkey.ReasonInvalid, passkey.ErrRefused},
		{"unknown credential", func(e *ceremonyEnv, opts any) ([]byte, error) {
			stranger := passkeytest.New(e.auth.Origin)
			_, c, _ := stranger.Create(map[string]any{"publicKey": map[string]any{"challenge": "AAAA", "rp": map[string]any{"id": "id.example"},
				"user": map[string]any{"id": "dTE"}}}, passkeytest.Tweak{})
			return stranger.Sign(c, passkeytest.Challenge(opts), passkeytest.Tweak{})
		}, passkey.ReasonUnknownCredential, passkey.ErrRefused},
		{"counter went backwards (§6.1.1)", func(e *ceremonyEnv, opts any) ([]byte, error) {
			// A first good sign-in moves the stored counter to 1 ...
			b, _ := e.s.BeginSignIn(t.Context())
			good, _ := e.auth.Get(b.Options, nil, passkeytest.Tweak{})
			if _, _, err := e.s.FinishSignIn(t.Context(), "", b.Secret, good); err != nil {
				t.Fatal(err)
			}
			// ... then a copy of the key answers with counter 0.
			return e.auth.Get(opts, nil, passkeytest.Tweak{Counter: &zero})
		}, passkey.ReasonCloneWarning, passkey.ErrRefused},
		{"not JSON", func(*ceremonyEnv, any) ([]byte, error) { return []byte(`{"id":`), nil },
			passkey.ReasonMalformed, passkey.ErrRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCeremonies(t)
			b, err := e.s.BeginSignIn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tc.answer(e, b.Options)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = e.s.FinishSignIn(t.Context(), "192.0.2.7", b.Secret, resp)
			if !errors.Is(err, tc.want) {
				t.Fatalf("FinishSignIn = %v, want %v", err, tc.want)
			}
			failed := e.events(t, "passkey.failed")
			if len(failed) != 1 || failed[0].Details["reason"] != tc.reason || failed[0].IP != "192.0.2.7" {
				t.Fatalf("passkey.failed events = %+v, want one with reason %s", failed, tc.reason)
			}
		})
	}
}

// TestReplayAndRemoval: an answer counts once (the ceremony is taken), and
// a removed passkey no longer signs in.
func TestReplayAndRemoval(t *testing.T) {
	e := newCeremonies(t)
	ctx := t.Context()
	b, _ := e.s.BeginSignIn(ctx)
	resp, _ := e.auth.Get(b.Options, nil, passkeytest.Tweak{})
	if _, _, err := e.s.FinishSignIn(ctx, "", b.Secret, resp); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.FinishSignIn(ctx, "", b.Secret, resp); !errors.Is(err, passkey.ErrExpired) {
		t.Errorf("replayed assertion = %v, want ErrExpired", err)
	}
	// The same assertion under a fresh ceremony signs the wrong challenge.
	b2, _ := e.s.BeginSignIn(ctx)
	if _, _, err := e.s.FinishSignIn(ctx, "", b2.Secret, resp); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("replayed assertion under a new ceremony = %v, want ErrRefused", err)
	}
	// An expired ceremony is refused too.
	b3, _ := e.s.BeginSignIn(ctx)
	resp3, _ := e.auth.Get(b3.Options, nil, passkeytest.Tweak{})
	e.now = e.now.Add(passkey.ChallengeLifetime + time.Second)
	if _, _, err := e.s.FinishSignIn(ctx, "", b3.Secret, resp3); !errors.Is(err, passkey.ErrExpired) {
		t.Errorf("expired ceremony = %v, want ErrExpired", err)
	}
	list, _ := e.s.List(ctx, "u1")
	if err := e.s.Remove(ctx, accounts.Actor{ID: "u1"}, "u1", list[0].ID); err != nil {
		t.Fatal(err)
	}
	b4, _ := e.s.BeginSignIn(ctx)
	resp4, _ := e.auth.Get(b4.Options, nil, passkeytest.Tweak{})
	if _, _, err := e.s.FinishSignIn(ctx, "", b4.Secret, resp4); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("removed passkey = %v, want ErrRefused", err)
	}
	var reasons []string
	for _, ev := range e.events(t, "passkey.failed") {
		reasons = append(reasons, ev.Details["reason"])
	}
	want := []string{passkey.ReasonChallenge, passkey.ReasonChallengeMismatch, passkey.ReasonChallenge, passkey.ReasonUnknownCredential}
	if len(reasons) != len(want) {
		t.Fatalf("passkey.failed reasons = %v, want %v", reasons, want)
	}
	for _, r := range want {
		found := false
		for _, g := range reasons {
			found = found || g == r
		}
		if !found {
			t.Errorf("no passkey.failed with reason %s in %v", r, reasons)
		}
	}
}

func TestRefusedRegistration(t *testing.T) {
	e := newCeremonies(t)
	ctx := t.Context()
	actor := accounts.Actor{ID: "u1"}
	for _, tc := range []struct {
		name   string
		tweak  passkeytest.Tweak
		reason string
	}{
		{"another origin", passkeytest.Tweak{Origin: "https://evil.example"}, passkey.ReasonOrigin},
		{"another RP ID", passkeytest.Tweak{RPID: "evil.example"}, passkey.ReasonRPID},
		{"no user verification", passkeytest.Tweak{NoUserVerification: true}, passkey.ReasonInvalid},
	} {
		b, err := e.s.BeginRegistration(ctx, e.user)
		if err != nil {
			t.Fatal(err)
		}
		resp, _, err := passkeytest.New(e.auth.Origin).Create(b.Options, tc.tweak)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.FinishRegistration(ctx, actor, e.user, b.Secret, "", resp); !errors.Is(err, passkey.ErrNotRegistered) {
			t.Errorf("%s: FinishRegistration = %v, want ErrNotRegistered", tc.name, err)
		}
		found := false
		for _, ev := range e.events(t, "passkey.failed") {
			found = found || (ev.Details["reason"] == tc.reason && ev.Details["ceremony"] == "register")
		}
		if !found {
			t.Errorf("%s: no passkey.failed with reason %s", tc.name, tc.reason)
		}
	}
	// A ceremony begun for ada cannot register a passkey for bob.
	b, _ := e.s.BeginRegistration(ctx, e.user)
	resp, _, _ := passkeytest.New(e.auth.Origin).Create(b.Options, passkeytest.Tweak{})
	bob := storage.User{ID: "u2", Email: "bob@example.com"}
	if _, err := e.s.FinishRegistration(ctx, actor, bob, b.Secret, "", resp); !errors.Is(err, passkey.ErrNotRegistered) {
		t.Errorf("registration for another person = %v", err)
	}
	if list, _ := e.s.List(ctx, "u2"); len(list) != 0 {
		t.Errorf("bob has passkeys: %+v", list)
	}
}

func TestRelyingPartyNeedsADomain(t *testing.T) {
	if _, err := passkey.NewRelyingParty("http://127.0.0.1:8080"); !errors.Is(err, passkey.ErrIPIssuer) {
		t.Errorf("NewRelyingParty(IP) = %v, want ErrIPIssuer", err)
	}
	rp, err := passkey.NewRelyingParty("http://localhost:8080")
	if err != nil || rp.ID != "localhost" || rp.Origins[0] != "http://localhost:8080" {
		t.Errorf("NewRelyingParty(localhost) = %+v, %v", rp, err)
	}
}
