package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/storage"
)

// Refresh tokens: rotation as a conditional update, reuse detection on rows
// kept inactive, the optional grace period and the family lifetime cap.
//
// The grace period (FOSITE.md §2) lets a rotated token be rotated again for
// a short while, for browsers with several tabs. A rotated token alone
// cannot tell "rotated a second ago" from "rotated a second ago and then the
// whole family was revoked", because revocation (reuse detection here, or
// logout deactivating by session or subject elsewhere) only flips the
// active flag. So a first rotation under a grace period also writes a
// companion record carrying the family's request, client, subject, session
// and organization: every bulk deactivation that ends the family ends the
// companion too, and the grace period holds only while it is active.

const graceLinkLabel = "refresh-grace"

func (a *storeAdapter) CreateRefreshTokenSession(ctx context.Context, sig, accessSig string, req fosite.Requester) error {
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
	rec.AccessSignature = sigKey(accessSig)
	// With the access token's record, when it is pending.
	return a.flush(ctx, rec)
}

// GetRefreshTokenSession returns the request AND fosite.ErrInactiveToken
// for a rotated or revoked token (fosite reads the request id from it to
// revoke the family), unless the grace period still covers it.
func (a *storeAdapter) GetRefreshTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	rec, req, err := a.get(ctx, storage.KindRefreshToken, sig)
	if err != nil {
		return nil, err
	}
	if !rec.Active {
		grace, err := a.inGrace(ctx, rec)
		if err != nil {
			return nil, err
		}
		if !grace {
			return req, fosite.ErrInactiveToken
		}
	}
	return req, nil
}

// DeleteRefreshTokenSession is called by fosite on reuse. The row stays
// (inactive), so every further use is recognized as reuse too.
func (a *storeAdapter) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	err := a.store.InvalidateToken(ctx, storage.KindRefreshToken, sigKey(sig), a.now())
	if errors.Is(err, storage.ErrInactive) || errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return mapErr(err)
}

// RotateRefreshToken retires the presented token with a conditional
// update, so of concurrent rotations exactly one succeeds (ory/hydra#3604);
// the others get fosite.ErrInactiveToken, which the token endpoint answers
// with invalid_grant. The access token issued with the rotated one ends
// too, in the same storage step.
func (a *storeAdapter) RotateRefreshToken(ctx context.Context, _ string, sig string) error {
	key := sigKey(sig)
	now := a.now()
	rec, err := a.store.RotateToken(ctx, storage.KindRefreshToken, key, now)
	if errors.Is(err, storage.ErrInactive) {
		rec, gerr := a.store.GetToken(ctx, storage.KindRefreshToken, key)
		if gerr != nil {
			return mapErr(gerr)
		}
		grace, gerr := a.inGrace(ctx, rec)
		if gerr != nil {
			return gerr
		}
		if grace {
			return nil
		}
		return fmt.Errorf("oauth: refresh token already rotated: %w", fosite.ErrInactiveToken)
	}
	if err != nil {
		return mapErr(fmt.Errorf("oauth: rotate refresh token: %w", err))
	}
	if a.grace > 0 {
		link := storage.TokenRecord{
			Kind:        storage.KindRefreshToken,
			Signature:   derivedKey(graceLinkLabel, key),
			RequestID:   rec.RequestID,
			RequestedAt: rec.RequestedAt,
			ClientID:    rec.ClientID,
			Subject:     rec.Subject,
			SessionID:   rec.SessionID,
			OrgID:       rec.OrgID,
			Session:     []byte("{}"),
			Active:      true,
			ExpiresAt:   now.Add(a.grace),
		}
		if err := a.store.CreateToken(ctx, link); err != nil {
			return mapErr(fmt.Errorf("oauth: rotate refresh token: grace record: %w", err))
		}
	}
	return nil
}

// inGrace reports whether an inactive refresh token was rotated (not
// revoked) less than the grace period ago and its family is still alive.
func (a *storeAdapter) inGrace(ctx context.Context, rec storage.TokenRecord) (bool, error) {
	if a.grace <= 0 || rec.FirstUsedAt.IsZero() || !a.now().Before(rec.FirstUsedAt.Add(a.grace)) {
		return false, nil
	}
	link, err := a.store.GetToken(ctx, storage.KindRefreshToken, derivedKey(graceLinkLabel, rec.Signature))
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, mapErr(fmt.Errorf("oauth: refresh grace: %w", err))
	}
	return link.Active, nil
}
