package accounts

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

// RevokeStore is what ending a user's sessions needs of the storage.
type RevokeStore interface {
	DeleteSessionsByUser(ctx context.Context, userID, exceptID string) ([]storage.Session, error)
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)
	DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error)
}

// PurposeResetPassword is the one-time token purpose of password reset links.
const PurposeResetPassword = "reset_password"

// LogoutNotifier hears of each ended session, to tell the clients it signed
// in to (OpenID Back-Channel Logout; *backchannel.Notifier is one).
type LogoutNotifier interface {
	SessionEnded(ctx context.Context, userID, sessionID string)
}

// EndOtherSessions is what a password change or reset, or turning the
// second factor on or off or renewing its recovery codes, does to the
// user's other access: it ends every browser session of userID except
// keepSessionID (empty: every session), tells the clients of each ended
// session (notifier may be nil), and deactivates every authorization code,
// access token and refresh token of the user, including those of the
// kept session (old access tokens answer inactive at introspection, old
// refresh tokens get invalid_grant), and cancels every pending password
// reset link. Applications signed in through the
// kept session sign in again without a password. It returns how many
// sessions and tokens it ended.
func EndOtherSessions(ctx context.Context, st RevokeStore, notifier LogoutNotifier, userID, keepSessionID string) (sessions, tokens int, err error) {
	ended, tokens, err := endAccess(ctx, st, userID, keepSessionID)
	if err != nil {
		return len(ended), tokens, err
	}
	notifyEnded(ctx, notifier, userID, ended)
	return len(ended), tokens, nil
}

// endAccess is EndOtherSessions without telling anyone, for callers that
// run it inside a transaction and notify once it has committed.
func endAccess(ctx context.Context, st RevokeStore, userID, keepSessionID string) (ended []storage.Session, tokens int, err error) {
	if userID == "" {
		return nil, 0, fmt.Errorf("end sessions: no user: %w", ErrInvalid)
	}
	ended, err = st.DeleteSessionsByUser(ctx, userID, keepSessionID)
	if err != nil {
		return nil, 0, fmt.Errorf("end sessions of %s: %w", userID, err)
	}
	tokens, err = st.DeactivateTokens(ctx, storage.TokenFilter{Subject: userID,
		Kinds: []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken}})
	if err != nil {
		return ended, 0, fmt.Errorf("deactivate tokens of %s: %w", userID, err)
	}
	// A pending reset link is another way in that the old password's
	// holder may have asked for (a mail read over someone's shoulder, a
	// mailbox they control): it goes with the sessions.
	if _, err := st.DeleteOneTimeTokensByUser(ctx, userID, PurposeResetPassword); err != nil {
		return ended, tokens, fmt.Errorf("cancel reset links of %s: %w", userID, err)
	}
	return ended, tokens, nil
}

func notifyEnded(ctx context.Context, notifier LogoutNotifier, userID string, ended []storage.Session) {
	if notifier == nil {
		return
	}
	for _, s := range ended {
		notifier.SessionEnded(ctx, userID, s.ID)
	}
}
