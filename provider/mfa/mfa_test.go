package mfa

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

type fixture struct {
	svc   *Service
	store *sqlite.Store
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := sqlitetest.Open(t)
	for _, id := range []string{"u1", "u2"} {
		if err := st.CreateUser(t.Context(), storage.User{ID: id, Email: id + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	sealer, err := secrets.NewSealer(secrets.Derive([][]byte{bytes.Repeat([]byte("s"), 32)}, secrets.PurposeTOTPSecret, secrets.SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, now: time.Unix(1_900_000_000, 0)}
	f.svc = &Service{Store: st, Sealer: sealer, Issuer: "Ostiary", Now: func() time.Time { return f.now }}
	return f
}

func secretOf(t *testing.T, e Enrollment) []byte {
	t.Helper()
	b, err := totp.Encoding.DecodeString(e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// enroll runs the whole enrollment and returns the secret and recovery codes.
func (f *fixture) enroll(t *testing.T, user string) ([]byte, []string) {
	t.Helper()
	e, err := f.svc.Begin(t.Context(), user, user+"@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	secret := secretOf(t, e)
	codes, err := f.svc.Confirm(t.Context(), user, totp.Code(secret, totp.Step(f.now)))
	if err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	return secret, codes
}

func TestEnrollment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	e, err := f.svc.Begin(ctx, "u1", "u1@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI, "otpauth://totp/Ostiary:u1@example.com?") || !strings.Contains(e.URI, "secret="+e.Secret) {
		t.Errorf("URI = %q", e.URI)
	}
	again, err := f.svc.Begin(ctx, "u1", "u1@example.com", false)
	if err != nil || again.Secret != e.Secret {
		t.Errorf("Begin(pending) = %q, %v; want the pending secret %q", again.Secret, err, e.Secret)
	}
	if st, _ := f.svc.Status(ctx, "u1"); st.Enabled || !st.Pending {
		t.Errorf("Status before confirmation = %+v; want pending only", st)
	}
	secret := secretOf(t, e)

	// At rest the secret is sealed and bound to its owner.
	row, err := f.store.GetTOTP(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(row.Secret, secret) || strings.Contains(string(row.Secret), e.Secret) {
		t.Fatal("the stored factor holds the secret in the clear")
	}
	if _, err := f.svc.Sealer.Open(row.Secret, ad("u2")); err == nil {
		t.Error("the sealed secret opens for another user")
	}

	if _, err := f.svc.Confirm(ctx, "u1", "000000"); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("Confirm(wrong code) = %v; want ErrInvalidCode", err)
	}
	if on, _ := f.svc.Enabled(ctx, "u1"); on {
		t.Fatal("a wrong confirmation code enabled the factor")
	}
	code := totp.Code(secret, totp.Step(f.now))
	codes, err := f.svc.Confirm(ctx, "u1", code)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount {
		t.Fatalf("got %d recovery codes, want %d", len(codes), RecoveryCodeCount)
	}
	if st, _ := f.svc.Status(ctx, "u1"); !st.Enabled || st.Pending || st.RecoveryLeft != RecoveryCodeCount {
		t.Errorf("Status after confirmation = %+v", st)
	}
	// The confirming code is spent.
	if err := f.svc.Verify(ctx, "u1", code); !errors.Is(err, ErrReplayedCode) {
		t.Errorf("Verify(confirmation code) = %v; want ErrReplayedCode", err)
	}
	if _, err := f.svc.Begin(ctx, "u1", "u1@example.com", true); !errors.Is(err, ErrAlreadyEnabled) {
		t.Errorf("Begin with a factor active = %v; want ErrAlreadyEnabled", err)
	}
	if _, err := f.svc.Confirm(ctx, "u2", code); !errors.Is(err, ErrNoEnrollment) {
		t.Errorf("Confirm without enrollment = %v; want ErrNoEnrollment", err)
	}
}

func TestVerifySkewAndReplay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	secret, _ := f.enroll(t, "u1")
	f.now = f.now.Add(5 * time.Minute)
	cur := totp.Step(f.now)

	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur+2)); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("code two steps ahead: %v; want ErrInvalidCode", err)
	}
	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur-1)); err != nil {
		t.Errorf("code one step behind (clock skew): %v", err)
	}
	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur-1)); !errors.Is(err, ErrReplayedCode) {
		t.Errorf("same code again: %v; want ErrReplayedCode", err)
	}
	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur)); err != nil {
		t.Errorf("the current code after an older one: %v", err)
	}
	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur)); !errors.Is(err, ErrReplayedCode) {
		t.Errorf("current code replayed: %v; want ErrReplayedCode", err)
	}
	// Once a step is used, the older neighbour is refused too: a code seen
	// over someone's shoulder a moment ago is no good.
	f.now = f.now.Add(totp.Period)
	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur)); !errors.Is(err, ErrReplayedCode) {
		t.Errorf("an old step after a newer one: %v; want ErrReplayedCode", err)
	}
	if err := f.svc.Verify(ctx, "u1", totp.Code(secret, cur+1)); err != nil {
		t.Errorf("next step: %v", err)
	}
	if err := f.svc.Verify(ctx, "u2", "123456"); !errors.Is(err, ErrNotEnabled) {
		t.Errorf("Verify without a factor: %v; want ErrNotEnabled", err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	_, codes := f.enroll(t, "u1")
	seen := map[string]bool{}
	for _, c := range codes {
		if !LooksLikeRecoveryCode(c) || len(c) != 11 || seen[c] {
			t.Errorf("recovery code %q: malformed or repeated", c)
		}
		seen[c] = true
	}
	if err := f.svc.UseRecoveryCode(ctx, "u1", strings.ToUpper(codes[0])); err != nil {
		t.Errorf("recovery code typed in capitals: %v", err)
	}
	if err := f.svc.UseRecoveryCode(ctx, "u1", codes[0]); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("recovery code used twice: %v; want ErrInvalidCode", err)
	}
	if st, _ := f.svc.Status(ctx, "u1"); st.RecoveryLeft != RecoveryCodeCount-1 {
		t.Errorf("RecoveryLeft = %d, want %d", st.RecoveryLeft, RecoveryCodeCount-1)
	}
	fresh, err := f.svc.RegenerateRecoveryCodes(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UseRecoveryCode(ctx, "u1", codes[1]); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("old code after regeneration: %v; want ErrInvalidCode", err)
	}
	if err := f.svc.UseRecoveryCode(ctx, "u1", fresh[0]); err != nil {
		t.Errorf("fresh code: %v", err)
	}
	if err := f.svc.UseRecoveryCode(ctx, "u2", fresh[1]); !errors.Is(err, ErrNotEnabled) {
		t.Errorf("someone else's code: %v; want ErrNotEnabled", err)
	}

	if err := f.svc.Disable(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UseRecoveryCode(ctx, "u1", fresh[1]); !errors.Is(err, ErrNotEnabled) {
		t.Errorf("recovery code after Disable: %v; want ErrNotEnabled", err)
	}
	if err := f.svc.Disable(ctx, "u1"); !errors.Is(err, ErrNotEnabled) {
		t.Errorf("Disable twice: %v; want ErrNotEnabled", err)
	}
}
