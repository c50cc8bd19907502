package fositestore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/storage"
)

// Refresh tokens: rotation as a conditional update, reuse detection on rows
// kept inactive, the optional grace period and the family lifetime cap.
//
// Strict rotation (no grace period, the default): a refresh token works
// once. Whoever presents it again, also a second tab racing the first, is
// treated as reuse (RFC 9700 §4.14.2) and the whole family is revoked, the
// winner's new tokens included (token.go revokes it for a racer that lost
// the conditional update, fosite for one that arrives later).
//
// The grace period (docs/architecture.md, "fosite, as we use it": families) is for browsers with several tabs: for a
// short while after a rotation, presenting the rotated token again answers
// with the SAME successor refresh token that rotation issued, and a fresh
// access token of the same family. The chain never forks: there is one live
// refresh token, and revoking the family ends every access token handed
// out to the racers too. Returning the successor needs its plaintext, which
// is never stored: with a grace period the successor of a rotated token is
// not random but derived, an HMAC of the rotated token's signature under a
// key derived from the HMAC secret (RefreshSuccessors). Whoever presents
// the rotated token, and only the server, can recompute it; the database
// holds nothing but SHA-256 hashes, so a dump still yields no usable token.
// The grace period holds while the rotated token's successor is still the
// live, active token: once the successor was itself rotated, or the family
// revoked (reuse, logout, a password change: they all deactivate the
// successor's row too), presenting the older token is reuse again.

// ErrRotationLost is a refresh whose conditional rotation found the token
// rotated already by a concurrent request, outside any grace period: the
// token endpoint then revokes the family, as fosite does for a reuse that
// arrives after the winner committed.
var ErrRotationLost = errors.New("oauth: refresh token rotated by a concurrent request")

func (a *Adapter) CreateRefreshTokenSession(ctx context.Context, sig, accessSig string, req fosite.Requester) error {
	if p := a.pending(ctx); p != nil && p.successor != "" {
		// A grace-period refresh (RotateRefreshToken): the successor exists
		// already; only the new access token is written.
		if SigKey(sig) != p.successor {
			return fmt.Errorf("oauth: store refresh token: the grace period's successor was not the token generated")
		}
		return a.flush(ctx)
	}
	sess, ok := req.GetSession().(*Session)
	if !ok || sess == nil {
		return fmt.Errorf("oauth: store refresh token: unexpected session type %T", req.GetSession())
	}
	// The family cap starts at the code exchange and is carried by the
	// session through every rotation; the sliding expiry never passes it.
	if a.familyLifetime > 0 && sess.FamilyExpiresAt.IsZero() {
		sess.FamilyExpiresAt = a.now().Add(a.familyLifetime).UTC()
	}
	if limit := sess.FamilyExpiresAt; !limit.IsZero() && sess.GetExpiresAt(fosite.RefreshToken).After(limit) {
		sess.SetExpiresAt(fosite.RefreshToken, limit)
	}
	rec, err := a.record(storage.KindRefreshToken, sig, req, fosite.RefreshToken)
	if err != nil {
		return err
	}
	rec.AccessSignature = SigKey(accessSig)
	// With the access token's record, when it is pending.
	return a.flush(ctx, rec)
}

// GetRefreshTokenSession returns the request AND fosite.ErrInactiveToken
// for a rotated or revoked token (fosite reads the request id from it to
// revoke the family), unless the grace period still covers it.
func (a *Adapter) GetRefreshTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	rec, req, err := a.get(ctx, storage.KindRefreshToken, sig)
	if err != nil {
		return nil, err
	}
	if !rec.Active {
		successor, err := a.graceSuccessor(ctx, rec, sig)
		if err != nil {
			return nil, err
		}
		if successor == "" {
			return req, fosite.ErrInactiveToken
		}
		// In the refresh's transaction, RotateRefreshToken follows and
		// needs the same successor: found once.
		if p := a.pending(ctx); p != nil {
			p.successor = successor
		}
	}
	return req, nil
}

// DeleteRefreshTokenSession is called by fosite on reuse. The row stays
// (inactive), so every further use is recognized as reuse too.
func (a *Adapter) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	err := a.store.InvalidateToken(ctx, storage.KindRefreshToken, SigKey(sig), a.now())
	if errors.Is(err, storage.ErrInactive) || errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return mapErr(err)
}

// RotateRefreshToken retires the presented token with a conditional
// update, so of concurrent rotations exactly one succeeds (ory/hydra#3604).
// A loser gets ErrRotationLost (invalid_grant, and the family is revoked),
// unless the grace period covers the token: then it is told to hand out
// the winner's successor (CreateRefreshTokenSession). The access token
// issued with the rotated one ends too, in the same storage step.
func (a *Adapter) RotateRefreshToken(ctx context.Context, _ string, sig string) error {
	key := SigKey(sig)
	rec, err := a.store.RotateToken(ctx, storage.KindRefreshToken, key, a.now())
	if errors.Is(err, storage.ErrInactive) {
		p := a.pending(ctx)
		if p != nil && p.successor != "" {
			// Rotated before this request read it, and the grace period
			// covers it: GetRefreshTokenSession found the successor.
			return nil
		}
		// Rotated by a concurrent request since this one read it.
		rec, gerr := a.store.GetToken(ctx, storage.KindRefreshToken, key)
		if gerr != nil {
			return mapErr(gerr)
		}
		successor, gerr := a.graceSuccessor(ctx, rec, sig)
		if gerr != nil {
			return gerr
		}
		if successor == "" || p == nil {
			return fmt.Errorf("%w: %w", ErrRotationLost, fosite.ErrInactiveToken)
		}
		p.successor = successor
		return nil
	}
	if err != nil {
		return mapErr(fmt.Errorf("oauth: rotate refresh token: %w", err))
	}
	if a.successors != nil {
		// Racers within the grace period got access tokens of their own;
		// they end with the token they were issued alongside, as the
		// paired one does.
		if _, err := a.store.DeactivateTokens(ctx, storage.TokenFilter{
			Kinds: []storage.TokenKind{storage.KindAccessToken}, RequestID: rec.RequestID,
		}); err != nil {
			return mapErr(fmt.Errorf("oauth: rotate refresh token: end the family's access tokens: %w", err))
		}
	}
	return nil
}

// graceSuccessor returns the record key of the successor a rotated token
// (rec, presented as sig) may still hand out: with a grace period, rotated
// (FirstUsedAt) less than the period ago, and its successor still active
// and unexpired. Otherwise "".
func (a *Adapter) graceSuccessor(ctx context.Context, rec storage.TokenRecord, sig string) (string, error) {
	if a.successors == nil || rec.FirstUsedAt.IsZero() || !a.now().Before(rec.FirstUsedAt.Add(a.grace)) {
		return "", nil
	}
	_, succSig := a.successors.Token(sig)
	key := SigKey(succSig)
	next, err := a.store.GetToken(ctx, storage.KindRefreshToken, key)
	if errors.Is(err, storage.ErrNotFound) {
		// Rotated before the grace period was turned on, or under another
		// HMAC secret.
		return "", nil
	}
	if err != nil {
		return "", mapErr(fmt.Errorf("oauth: refresh grace: %w", err))
	}
	if !next.Active || next.RequestID != rec.RequestID || (!next.ExpiresAt.IsZero() && !a.now().Before(next.ExpiresAt)) {
		return "", nil
	}
	return key, nil
}

// RefreshSuccessors derives the refresh token that follows a rotated one
// when a grace period is on (see the top of this file). The token has
// fosite's HMAC format, so fosite validates it like any other: a 32-byte
// token key, here HMAC-SHA256 of the parent's signature under a purpose key
// derived from the HMAC secret, and its HMAC-SHA512/256 under fosite's
// global secret. The successor is as unpredictable as a random one to
// anyone without the secret, and recomputing it needs the parent's
// plaintext, which is stored nowhere.
type RefreshSuccessors struct {
	derive []byte
	global [32]byte
}

// refreshTokenPrefix is fosite's prefix of refresh tokens
// (HMACSHAStrategy).
const refreshTokenPrefix = "ory_rt_"

var b64Token = base64.RawURLEncoding

func NewRefreshSuccessors(hmacSecret []byte) *RefreshSuccessors {
	m := hmac.New(sha256.New, hmacSecret)
	m.Write([]byte("ostiary refresh-token successor v1"))
	s := &RefreshSuccessors{derive: m.Sum(nil)}
	copy(s.global[:], hmacSecret)
	return s
}

// Token returns the successor of the refresh token whose signature is
// parentSig, and the successor's own signature.
func (s *RefreshSuccessors) Token(parentSig string) (token, sig string) {
	m := hmac.New(sha256.New, s.derive)
	m.Write([]byte(parentSig))
	tokenKey := m.Sum(nil)
	m = hmac.New(sha512.New512_256, s.global[:])
	m.Write(tokenKey)
	sig = b64Token.EncodeToString(m.Sum(nil))
	return refreshTokenPrefix + b64Token.EncodeToString(tokenKey) + "." + sig, sig
}
