package mfa

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/storage"
)

// Errors the service returns; callers test with errors.Is.
var (
	// ErrInvalidCode: the code is wrong, outside the allowed clock skew, or
	// was used already (ErrReplayedCode wraps it).
	ErrInvalidCode = errors.New("mfa: invalid code")
	// ErrReplayedCode: a correct code whose time step was accepted before.
	ErrReplayedCode = fmt.Errorf("%w: code of a time step already used", ErrInvalidCode)
	// ErrNotEnabled: the user has no active second factor.
	ErrNotEnabled = errors.New("mfa: second factor not enabled")
	// ErrAlreadyEnabled: enrollment was asked for with a factor active.
	ErrAlreadyEnabled = errors.New("mfa: second factor already enabled")
	// ErrNoEnrollment: a confirmation arrived with no pending enrollment.
	ErrNoEnrollment = errors.New("mfa: no enrollment pending")
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// Store is the part of storage.MFAStore the service uses.
type Store interface {
	PutTOTP(ctx context.Context, f storage.TOTPFactor) error
	GetTOTP(ctx context.Context, userID string) (storage.TOTPFactor, error)
	UpdateTOTP(ctx context.Context, userID string, fn func(storage.TOTPFactor) (storage.TOTPFactor, error)) error
	DeleteTOTP(ctx context.Context, userID string) error
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error
	UseRecoveryCode(ctx context.Context, userID string, hash []byte) error
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
}

// Sealer encrypts secrets at rest; *secrets.Sealer is one.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Service enrolls and checks second factors.
type Service struct {
	Store  Store
	Sealer Sealer
	// Issuer names this provider in the authenticator app.
	Issuer string
	Now    func() time.Time
	// Rand is the source of secrets and recovery codes; nil is crypto/rand.
	Rand io.Reader
}

// Status is what the account page shows.
type Status struct {
	// Enabled: a confirmed factor is active.
	Enabled bool
	// Pending: an enrollment waits for its confirmation code.
	Pending      bool
	RecoveryLeft int
}

// Status reports the user's second factor.
func (s *Service) Status(ctx context.Context, userID string) (Status, error) {
	f, err := s.Store.GetTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return Status{}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("mfa: read factor: %w", err)
	}
	st := Status{Enabled: !f.ConfirmedAt.IsZero(), Pending: f.ConfirmedAt.IsZero()}
	if st.Enabled {
		if st.RecoveryLeft, err = s.Store.CountRecoveryCodes(ctx, userID); err != nil {
			return Status{}, fmt.Errorf("mfa: count recovery codes: %w", err)
		}
	}
	return st, nil
}

// Enabled reports whether the user must give a second factor.
func (s *Service) Enabled(ctx context.Context, userID string) (bool, error) {
	st, err := s.Status(ctx, userID)
	return st.Enabled, err
}

// Enrollment is what the user copies into an authenticator app.
type Enrollment struct {
	// Secret is the base32 secret for typing in by hand.
	Secret string
	// URI is the otpauth:// URI the QR code carries.
	URI string
}

// Begin starts an enrollment with a fresh secret, replacing an unconfirmed
// one, or returns the pending one when fresh is false. ErrAlreadyEnabled
// while a confirmed factor is active: it must be disabled first.
func (s *Service) Begin(ctx context.Context, userID, account string, fresh bool) (Enrollment, error) {
	f, err := s.Store.GetTOTP(ctx, userID)
	switch {
	case err == nil && !f.ConfirmedAt.IsZero():
		return Enrollment{}, ErrAlreadyEnabled
	case err == nil && !fresh:
		secret, err := s.open(f)
		if err != nil {
			return Enrollment{}, err
		}
		return s.enrollment(account, secret), nil
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return Enrollment{}, fmt.Errorf("mfa: read factor: %w", err)
	}
	secret, err := totp.NewSecret(s.rand())
	if err != nil {
		return Enrollment{}, err
	}
	sealed, err := s.Sealer.Seal(secret, ad(userID))
	if err != nil {
		return Enrollment{}, fmt.Errorf("mfa: seal secret: %w", err)
	}
	if err := s.Store.PutTOTP(ctx, storage.TOTPFactor{UserID: userID, Secret: sealed, CreatedAt: s.now()}); err != nil {
		return Enrollment{}, fmt.Errorf("mfa: store pending factor: %w", err)
	}
	return s.enrollment(account, secret), nil
}

func (s *Service) enrollment(account string, secret []byte) Enrollment {
	return Enrollment{Secret: totp.Encoding.EncodeToString(secret), URI: totp.URI(s.Issuer, account, secret)}
}

// Confirm activates the pending factor if code is right for it, and returns
// the first recovery codes (shown once). ErrNoEnrollment, ErrAlreadyEnabled,
// ErrInvalidCode.
func (s *Service) Confirm(ctx context.Context, userID, code string) ([]string, error) {
	now := s.now()
	err := s.Store.UpdateTOTP(ctx, userID, func(f storage.TOTPFactor) (storage.TOTPFactor, error) {
		if !f.ConfirmedAt.IsZero() {
			return f, ErrAlreadyEnabled
		}
		secret, err := s.open(f)
		if err != nil {
			return f, err
		}
		step, ok := totp.Match(secret, code, now)
		if !ok {
			return f, ErrInvalidCode
		}
		// The confirming code counts as used: it cannot sign in afterwards.
		f.ConfirmedAt, f.LastStep = now, step
		return f, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNoEnrollment
	}
	if err != nil {
		return nil, err
	}
	return s.RegenerateRecoveryCodes(ctx, userID)
}

// Verify checks a code of the active factor and records its step, so the
// same code is refused from then on. ErrNotEnabled, ErrInvalidCode,
// ErrReplayedCode.
func (s *Service) Verify(ctx context.Context, userID, code string) error {
	now := s.now()
	err := s.Store.UpdateTOTP(ctx, userID, func(f storage.TOTPFactor) (storage.TOTPFactor, error) {
		if f.ConfirmedAt.IsZero() {
			return f, ErrNotEnabled
		}
		secret, err := s.open(f)
		if err != nil {
			return f, err
		}
		step, ok := totp.Match(secret, code, now)
		if !ok {
			return f, ErrInvalidCode
		}
		if step <= f.LastStep {
			return f, ErrReplayedCode
		}
		f.LastStep = step
		return f, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotEnabled
	}
	return err
}

// UseRecoveryCode consumes one recovery code of a user with an active
// factor. ErrNotEnabled, ErrInvalidCode (wrong or used).
func (s *Service) UseRecoveryCode(ctx context.Context, userID, code string) error {
	on, err := s.Enabled(ctx, userID)
	if err != nil {
		return err
	}
	if !on {
		return ErrNotEnabled
	}
	err = s.Store.UseRecoveryCode(ctx, userID, hashRecovery(code))
	if errors.Is(err, storage.ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("mfa: use recovery code: %w", err)
	}
	return nil
}

// RegenerateRecoveryCodes replaces every recovery code with fresh ones and
// returns them in the clear, the only time they exist so.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		c, err := newRecoveryCode(s.rand())
		if err != nil {
			return nil, err
		}
		codes[i], hashes[i] = c, hashRecovery(c)
	}
	if err := s.Store.ReplaceRecoveryCodes(ctx, userID, hashes, s.now()); err != nil {
		return nil, fmt.Errorf("mfa: store recovery codes: %w", err)
	}
	return codes, nil
}

// Disable removes the factor and its recovery codes. ErrNotEnabled when
// there was none.
func (s *Service) Disable(ctx context.Context, userID string) error {
	err := s.Store.DeleteTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotEnabled
	}
	if err != nil {
		return fmt.Errorf("mfa: delete factor: %w", err)
	}
	return nil
}

func (s *Service) open(f storage.TOTPFactor) ([]byte, error) {
	secret, err := s.Sealer.Open(f.Secret, ad(f.UserID))
	if err != nil {
		return nil, fmt.Errorf("mfa: open secret of user %q: %w", f.UserID, err)
	}
	return secret, nil
}

// ad binds a sealed secret to its owner.
func ad(userID string) []byte { return []byte("totp:" + userID) }

// recoveryAlphabet leaves out 0/o, 1/l/i so codes survive being written
// down and read back.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode is ten characters (about 49 bits) as "xxxxx-xxxxx":
// plenty when every guess is throttled.
func newRecoveryCode(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for n := 0; n < 10; {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("mfa: read recovery code: %w", err)
		}
		// Rejection sampling keeps every character equally likely.
		if int(buf[0]) >= 256-256%len(recoveryAlphabet) {
			continue
		}
		if n == 5 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[int(buf[0])%len(recoveryAlphabet)])
		n++
	}
	return b.String(), nil
}

// LooksLikeRecoveryCode tells a recovery code from a TOTP code, so one
// field can take either.
func LooksLikeRecoveryCode(code string) bool {
	return len(normalizeRecovery(code)) == 10
}

func normalizeRecovery(code string) string {
	return strings.ToLower(totp.Normalize(strings.TrimSpace(code)))
}

func hashRecovery(code string) []byte { return randtoken.Hash(normalizeRecovery(code)) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}
