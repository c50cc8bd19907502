package passkey

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Users reads the person a passkey belongs to; storage.UserStore is one.
type Users interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
}

// MaxPerUser bounds a person's passkeys (each is a row and an entry in every
// second-factor request's allow list).
const MaxPerUser = 20

// MaxResponse bounds the credential JSON a browser sends back: a few
// kilobytes in practice (attestation none), under textcheck.MaxBody.
const MaxResponse = 16 << 10

// Errors of the ceremonies: each a fault with the text a person reads.
var (
	// ErrOff: passkeys are off on this server (the issuer is an IP address).
	ErrOff = fault.Sentinel(fault.Conflict, "Passkeys are not available on this server.")
	// ErrExpired: no ceremony under this browser's secret: it expired, was
	// used already, or never existed.
	ErrExpired = fault.Sentinel(fault.Invalid, "This passkey request has expired or was used already. Try again.")
	// ErrRefused: the authenticator's answer did not verify, or names a
	// passkey that cannot sign in.
	ErrRefused = fault.Sentinel(fault.Forbidden, "This passkey could not be used. Try again, or sign in another way.")
	// ErrNotRegistered: a registration's answer did not verify.
	ErrNotRegistered = fault.Sentinel(fault.Forbidden, "This passkey could not be registered. Try again.")
	// ErrNoPasskeys: the person has no passkey to ask for.
	ErrNoPasskeys = fault.Sentinel(fault.Conflict, "You have no passkey yet.")
	// ErrTooMany: the person has MaxPerUser passkeys.
	ErrTooMany = fault.Sentinel(fault.Conflict, fmt.Sprintf("An account can have at most %d passkeys. Remove one first.", MaxPerUser))
	// ErrDuplicate: that authenticator's passkey is registered already.
	ErrDuplicate = fault.Sentinel(fault.Conflict, "This passkey is registered already.")
)

// Reasons a ceremony was refused, in the passkey.failed audit event.
const (
	ReasonChallenge         = "unknown_challenge"   // expired, used or forged ceremony secret
	ReasonMalformed         = "malformed_response"  // not a WebAuthn credential JSON
	ReasonChallengeMismatch = "challenge_mismatch"  // signed another ceremony's challenge
	ReasonOrigin            = "origin_mismatch"     // made on another site
	ReasonRPID              = "rp_id_mismatch"      // made for another relying party
	ReasonUnknownCredential = "unknown_credential"  // no such passkey (removed), or not this person's
	ReasonUserHandle        = "user_handle"         // the user handle names someone else
	ReasonUser              = "user_disabled"       // the person is disabled or gone
	ReasonCloneWarning      = "clone_warning"       // the signature counter went backwards
	ReasonInvalid           = "invalid_response"    // signature, flags or attestation did not verify
	ReasonOtherUser         = "ceremony_other_user" // the ceremony was begun for someone else
)

// Ceremonies, in audit events.
const (
	CeremonyRegister     = "register"
	CeremonySignIn       = "signin"
	CeremonySecondFactor = "second_factor"
)

// Begun is a ceremony in progress: the options for the browser's
// navigator.credentials call, and the secret the browser keeps (in a
// cookie) to finish it.
type Begun struct {
	// Options is protocol.CredentialCreation or protocol.CredentialAssertion,
	// the JSON the page's script reads.
	Options any
	Secret  string
}

// Enabled reports whether the ceremonies run (the issuer has a domain name).
func (s *Service) Enabled() bool { return s.RP != nil }

// UserHandle is the WebAuthn user handle of a person (WebAuthn §5.4.3): their
// id, which is random and no personal information, or its SHA-256 when an
// imported id is longer than the 64 bytes a handle may have.
func UserHandle(userID string) []byte {
	if len(userID) <= 64 {
		return []byte(userID)
	}
	sum := sha256.Sum256([]byte(userID))
	return sum[:]
}

// waUser is a person as the WebAuthn library sees them.
type waUser struct {
	user  storage.User
	creds []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte   { return UserHandle(u.user.ID) }
func (u *waUser) WebAuthnName() string { return u.user.Email }
func (u *waUser) WebAuthnDisplayName() string {
	if u.user.Name != "" {
		return u.user.Name
	}
	return u.user.Email
}
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newWAUser(user storage.User, keys []storage.Passkey) (*waUser, error) {
	u := &waUser{user: user}
	for _, k := range keys {
		c, err := credentialOf(k)
		if err != nil {
			return nil, err
		}
		u.creds = append(u.creds, c)
	}
	return u, nil
}

func credentialOf(k storage.Passkey) (webauthn.Credential, error) {
	var c webauthn.Credential
	if err := json.Unmarshal(k.Credential, &c); err != nil {
		return c, fmt.Errorf("passkey: stored credential %s: %w", k.ID, err)
	}
	return c, nil
}

// park stores a ceremony's session data under a new secret's hash.
func (s *Service) park(ctx context.Context, purpose, userID string, sd *webauthn.SessionData) (string, error) {
	raw, err := json.Marshal(sd)
	if err != nil {
		return "", fmt.Errorf("passkey: encode ceremony: %w", err)
	}
	secret := randtoken.New()
	now := s.Now().UTC()
	err = s.Store.CreatePasskeyChallenge(ctx, storage.PasskeyChallenge{TokenHash: randtoken.Hash(secret), Purpose: purpose,
		UserID: userID, Session: raw, CreatedAt: now, ExpiresAt: now.Add(ChallengeLifetime)})
	if err != nil {
		return "", fmt.Errorf("passkey: park ceremony: %w", err)
	}
	return secret, nil
}

// take removes the ceremony the browser's secret names, so it can be
// answered once.
func (s *Service) take(ctx context.Context, secret, purpose string) (storage.PasskeyChallenge, webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if secret == "" || len(secret) > 128 {
		return storage.PasskeyChallenge{}, sd, storage.ErrNotFound
	}
	c, err := s.Store.TakePasskeyChallenge(ctx, randtoken.Hash(secret), purpose, s.Now())
	if err != nil {
		return c, sd, err
	}
	if err := json.Unmarshal(c.Session, &sd); err != nil {
		return c, sd, fmt.Errorf("passkey: stored ceremony: %w", err)
	}
	return c, sd, nil
}

// failure is one refused ceremony, for the audit log.
type failure struct {
	ceremony, reason   string
	userID, passkeyID  string
	ip                 string
	cause              error
	registrationRefuse bool
}

// refuse records passkey.failed and returns the error the person sees.
func (s *Service) refuse(ctx context.Context, f failure) error {
	details := map[string]string{"reason": f.reason, "ceremony": f.ceremony}
	if f.passkeyID != "" {
		details["passkey_id"] = f.passkeyID
	}
	if err := s.audit(ctx, accounts.Actor{ID: f.userID, IP: f.ip}, "passkey.failed", f.userID, details); err != nil {
		return err
	}
	cause := f.cause
	if cause == nil {
		cause = errors.New(f.reason)
	}
	switch {
	case f.reason == ReasonChallenge:
		return ErrExpired.Wrap(cause, ErrExpired.Message)
	case f.registrationRefuse:
		return ErrNotRegistered.Wrap(cause, ErrNotRegistered.Message)
	}
	return ErrRefused.Wrap(cause, ErrRefused.Message)
}

// checkClientData compares what the browser and the authenticator signed
// with the ceremony before the library's full verification, to name the
// reason of a refusal: another ceremony's challenge, another origin, another
// relying party.
func (s *Service) checkClientData(sd webauthn.SessionData, cd protocol.CollectedClientData, rpIDHash []byte) string {
	switch {
	case cd.Challenge != sd.Challenge:
		return ReasonChallengeMismatch
	case !slices.Contains(s.RP.Origins, cd.Origin):
		return ReasonOrigin
	case !bytes.Equal(rpIDHash, s.RP.idHash[:]):
		return ReasonRPID
	}
	return ""
}

// BeginRegistration starts adding a passkey for user: a discoverable
// credential with user verification, attestation none, none of the
// person's existing authenticators again.
func (s *Service) BeginRegistration(ctx context.Context, user storage.User) (Begun, error) {
	if s.RP == nil {
		return Begun{}, ErrOff
	}
	keys, err := s.Store.ListPasskeys(ctx, user.ID)
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: list: %w", err)
	}
	if len(keys) >= MaxPerUser {
		return Begun{}, ErrTooMany
	}
	wu, err := newWAUser(user, keys)
	if err != nil {
		return Begun{}, err
	}
	creation, sd, err := s.RP.wa.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	secret, err := s.park(ctx, storage.PasskeyRegister, user.ID, sd)
	if err != nil {
		return Begun{}, err
	}
	return Begun{Options: creation, Secret: secret}, nil
}

// FinishRegistration verifies the browser's answer to the ceremony secret
// names and stores the passkey under name (trimmed; "Passkey" when empty),
// recording passkey.registered. A refused answer is recorded as
// passkey.failed.
func (s *Service) FinishRegistration(ctx context.Context, actor accounts.Actor, user storage.User, secret, name string,
	response []byte) (storage.Passkey, error) {
	if s.RP == nil {
		return storage.Passkey{}, ErrOff
	}
	name, err := cleanName(name)
	if err != nil {
		return storage.Passkey{}, err
	}
	if name == "" {
		name = "Passkey"
	}
	fail := failure{ceremony: CeremonyRegister, userID: user.ID, ip: actor.IP, registrationRefuse: true}
	c, sd, err := s.take(ctx, secret, storage.PasskeyRegister)
	if errors.Is(err, storage.ErrNotFound) {
		fail.reason, fail.cause = ReasonChallenge, err
		return storage.Passkey{}, s.refuse(ctx, fail)
	}
	if err != nil {
		return storage.Passkey{}, err
	}
	if c.UserID != user.ID {
		fail.reason = ReasonOtherUser
		return storage.Passkey{}, s.refuse(ctx, fail)
	}
	if len(response) > MaxResponse {
		fail.reason = ReasonMalformed
		return storage.Passkey{}, s.refuse(ctx, fail)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		fail.reason, fail.cause = ReasonMalformed, err
		return storage.Passkey{}, s.refuse(ctx, fail)
	}
	if reason := s.checkClientData(sd, parsed.Response.CollectedClientData, parsed.Response.AttestationObject.AuthData.RPIDHash); reason != "" {
		fail.reason = reason
		return storage.Passkey{}, s.refuse(ctx, fail)
	}
	keys, err := s.Store.ListPasskeys(ctx, user.ID)
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("passkey: list: %w", err)
	}
	wu, err := newWAUser(user, keys)
	if err != nil {
		return storage.Passkey{}, err
	}
	cred, err := s.RP.wa.CreateCredential(wu, sd, parsed)
	if err != nil {
		fail.reason, fail.cause = ReasonInvalid, err
		return storage.Passkey{}, s.refuse(ctx, fail)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("passkey: encode credential: %w", err)
	}
	now := s.Now().UTC()
	pk := storage.Passkey{ID: randtoken.ID(), UserID: user.ID, CredentialID: cred.ID, Credential: raw, Name: name,
		AAGUID: cred.Authenticator.AAGUID, Attachment: string(cred.Authenticator.Attachment),
		SignCount: cred.Authenticator.SignCount, CreatedAt: now}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		n, err := s.Store.ListPasskeys(ctx, user.ID)
		if err != nil {
			return fmt.Errorf("passkey: list: %w", err)
		}
		if len(n) >= MaxPerUser {
			return ErrTooMany
		}
		if err := s.Store.CreatePasskey(ctx, pk); errors.Is(err, storage.ErrAlreadyExists) {
			return ErrDuplicate
		} else if err != nil {
			return fmt.Errorf("passkey: store: %w", err)
		}
		return s.audit(ctx, actor, "passkey.registered", user.ID, map[string]string{"passkey_id": pk.ID,
			"attachment": pk.Attachment, "aaguid": aaguidString(pk.AAGUID)})
	})
	if err != nil {
		return storage.Passkey{}, err
	}
	return pk, nil
}

// BeginSignIn starts a passwordless sign-in: no allow list, so the browser
// offers every passkey it has for this relying party (and no address is
// asked for, so none is confirmed to have one).
func (s *Service) BeginSignIn(ctx context.Context) (Begun, error) {
	if s.RP == nil {
		return Begun{}, ErrOff
	}
	assertion, sd, err := s.RP.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: begin sign-in: %w", err)
	}
	secret, err := s.park(ctx, storage.PasskeySignIn, "", sd)
	if err != nil {
		return Begun{}, err
	}
	return Begun{Options: assertion, Secret: secret}, nil
}

// FinishSignIn verifies a passwordless sign-in's answer and returns the
// person and the passkey used, recording passkey.used; every refusal is
// recorded as passkey.failed with its reason.
func (s *Service) FinishSignIn(ctx context.Context, ip, secret string, response []byte) (storage.User, storage.Passkey, error) {
	if s.RP == nil {
		return storage.User{}, storage.Passkey{}, ErrOff
	}
	return s.finishAssertion(ctx, CeremonySignIn, storage.PasskeySignIn, "", ip, secret, response)
}

// BeginSecondFactor asks for one of userID's passkeys, after a password or
// as a step-up. ErrNoPasskeys when there is none.
func (s *Service) BeginSecondFactor(ctx context.Context, userID string) (Begun, error) {
	if s.RP == nil {
		return Begun{}, ErrOff
	}
	keys, err := s.Store.ListPasskeys(ctx, userID)
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: list: %w", err)
	}
	if len(keys) == 0 {
		return Begun{}, ErrNoPasskeys
	}
	wu, err := newWAUser(storage.User{ID: userID}, keys)
	if err != nil {
		return Begun{}, err
	}
	assertion, sd, err := s.RP.wa.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: begin second factor: %w", err)
	}
	secret, err := s.park(ctx, storage.PasskeySecondFactor, userID, sd)
	if err != nil {
		return Begun{}, err
	}
	return Begun{Options: assertion, Secret: secret}, nil
}

// FinishSecondFactor verifies the answer to BeginSecondFactor for userID,
// recording passkey.used, or passkey.failed with its reason.
func (s *Service) FinishSecondFactor(ctx context.Context, ip, userID, secret string, response []byte) (storage.Passkey, error) {
	if s.RP == nil {
		return storage.Passkey{}, ErrOff
	}
	_, pk, err := s.finishAssertion(ctx, CeremonySecondFactor, storage.PasskeySecondFactor, userID, ip, secret, response)
	return pk, err
}

// finishAssertion is the shared end of a sign-in and a second factor
// (WebAuthn §7.2): the ceremony is taken (single use), the answer checked
// against it, the passkey and its person looked up, the signature and
// counter verified, the counter and last use stored. wantUser is the person
// the ceremony must be for ("" for a passwordless sign-in).
func (s *Service) finishAssertion(ctx context.Context, ceremony, purpose, wantUser, ip, secret string,
	response []byte) (storage.User, storage.Passkey, error) {
	fail := failure{ceremony: ceremony, userID: wantUser, ip: ip}
	refuse := func(reason string, cause error) (storage.User, storage.Passkey, error) {
		fail.reason, fail.cause = reason, cause
		return storage.User{}, storage.Passkey{}, s.refuse(ctx, fail)
	}
	c, sd, err := s.take(ctx, secret, purpose)
	if errors.Is(err, storage.ErrNotFound) {
		return refuse(ReasonChallenge, err)
	}
	if err != nil {
		return storage.User{}, storage.Passkey{}, err
	}
	if c.UserID != wantUser {
		return refuse(ReasonOtherUser, nil)
	}
	if len(response) > MaxResponse {
		return refuse(ReasonMalformed, nil)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return refuse(ReasonMalformed, err)
	}
	if reason := s.checkClientData(sd, parsed.Response.CollectedClientData, parsed.Response.AuthenticatorData.RPIDHash); reason != "" {
		return refuse(reason, nil)
	}
	pk, err := s.Store.GetPasskeyByCredentialID(ctx, parsed.RawID)
	if errors.Is(err, storage.ErrNotFound) {
		return refuse(ReasonUnknownCredential, err)
	}
	if err != nil {
		return storage.User{}, storage.Passkey{}, fmt.Errorf("passkey: look up credential: %w", err)
	}
	fail.passkeyID = pk.ID
	if wantUser != "" && pk.UserID != wantUser {
		return refuse(ReasonUnknownCredential, errors.New("passkey of another person"))
	}
	fail.userID = pk.UserID
	if h := parsed.Response.UserHandle; (len(h) > 0 || wantUser == "") && !bytes.Equal(h, UserHandle(pk.UserID)) {
		return refuse(ReasonUserHandle, nil)
	}
	if pk.CloneWarning {
		return refuse(ReasonCloneWarning, errors.New("passkey flagged earlier"))
	}
	user, err := s.Users.GetUser(ctx, pk.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && user.Disabled) {
		return refuse(ReasonUser, err)
	}
	if err != nil {
		return storage.User{}, storage.Passkey{}, fmt.Errorf("passkey: read user: %w", err)
	}
	wu, err := newWAUser(user, []storage.Passkey{pk})
	if err != nil {
		return storage.User{}, storage.Passkey{}, err
	}
	var cred *webauthn.Credential
	if wantUser == "" {
		_, cred, err = s.RP.wa.ValidatePasskeyLogin(func([]byte, []byte) (webauthn.User, error) { return wu, nil }, sd, parsed)
	} else {
		cred, err = s.RP.wa.ValidateLogin(wu, sd, parsed)
	}
	if err != nil {
		return refuse(ReasonInvalid, err)
	}
	// The counter check again, on the stored row inside its update, so of
	// two concurrent sign-ins each sees the other's counter (WebAuthn §6.1.1).
	counter := parsed.Response.AuthenticatorData.Counter
	now := s.Now().UTC()
	cloned := false
	var updated storage.Passkey
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Store.UpdatePasskey(ctx, pk.UserID, pk.ID, func(p storage.Passkey) (storage.Passkey, error) {
			a := webauthn.Authenticator{SignCount: p.SignCount}
			a.UpdateCounter(counter)
			if a.CloneWarning || p.CloneWarning {
				cloned = true
				p.CloneWarning = true
				return p, nil
			}
			stored, err := credentialOf(p)
			if err != nil {
				return p, err
			}
			stored.Authenticator.SignCount = a.SignCount
			stored.Flags = cred.Flags
			raw, err := json.Marshal(stored)
			if err != nil {
				return p, fmt.Errorf("passkey: encode credential: %w", err)
			}
			p.Credential, p.SignCount, p.LastUsedAt = raw, a.SignCount, now
			updated = p
			return p, nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			return errRemovedMeanwhile
		}
		if err != nil || cloned {
			return err
		}
		return s.audit(ctx, accounts.Actor{ID: pk.UserID, IP: ip}, "passkey.used", pk.UserID,
			map[string]string{"passkey_id": pk.ID, "ceremony": ceremony})
	})
	switch {
	case errors.Is(err, errRemovedMeanwhile):
		return refuse(ReasonUnknownCredential, err)
	case err != nil:
		return storage.User{}, storage.Passkey{}, fmt.Errorf("passkey: record use: %w", err)
	case cloned:
		return refuse(ReasonCloneWarning, fmt.Errorf("signature counter %d not above the stored %d", counter, pk.SignCount))
	}
	return user, updated, nil
}

var errRemovedMeanwhile = errors.New("passkey: removed during the ceremony")
