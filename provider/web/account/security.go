package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/storage"
)

// grantKinds are the token records that keep a user signed in to
// applications: what ending sessions and changing the password deactivate.
var grantKinds = []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken}

// errPasswordChanged: the stored password changed between reading and
// writing it (another tab, a reset).
var errPasswordChanged = errors.New("account: password changed concurrently")

// changePassword replaces the password after checking the current one.
// Every other browser session ends and every token the user holds
// (refresh tokens, and access tokens, which then introspect inactive) is
// deactivated: whoever knew the old password is out. Personal access
// tokens stay; the user revokes them on the same page.
func (a accountAction) changePassword() error {
	ctx := a.r.Context()
	cur, next, confirm := a.r.PostFormValue("current_password"), a.r.PostFormValue("new_password"), a.r.PostFormValue("confirm_password")
	if msg, err := a.checkCurrentPassword(cur); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return a.again(accountPage{PasswordError: msg})
	}
	if next != confirm {
		return a.again(accountPage{PasswordError: "The new passwords do not match."})
	}
	if err := a.p.Policy.Check(next, a.user.Email); err != nil {
		return a.again(accountPage{PasswordError: ruleMessage(err)})
	}
	if next == cur {
		return a.again(accountPage{PasswordError: "The new password must differ from the current one."})
	}
	hash, err := password.Hash(next)
	if err != nil {
		return fmt.Errorf("account: hash password: %w", err)
	}
	now := a.p.Site.Now()
	err = a.p.Store.UpdateUser(ctx, a.user.ID, func(u storage.User) (storage.User, error) {
		if u.PasswordHash != a.user.PasswordHash {
			return u, errPasswordChanged
		}
		u.PasswordHash, u.UpdatedAt = hash, now
		return u, nil
	})
	if errors.Is(err, errPasswordChanged) {
		return a.again(accountPage{PasswordError: "Your password was changed elsewhere meanwhile. Sign in again if you are signed out, then try again."})
	}
	if err != nil {
		return fmt.Errorf("account: update password: %w", err)
	}
	if err := a.p.endOtherAccess(a.r, a.sess, storage.AuditEvent{Type: "password.changed"}); err != nil {
		return err
	}
	return a.done("password")
}

// endOtherAccess is what a change of how the user signs in (password,
// second factor) does to what the old way let in: every browser session
// but keep ends and every token of the user is deactivated
// (endSessions), then ev is recorded as the user's own act with the
// numbers ended.
func (p *Pages) endOtherAccess(r *http.Request, keep storage.Session, ev storage.AuditEvent) error {
	ctx := r.Context()
	sessions, tokens, err := p.endSessions(ctx, keep.UserID, keep.ID)
	if err != nil {
		return err
	}
	ev.ActorID, ev.SubjectID, ev.IP = keep.UserID, keep.UserID, p.Site.Sessions().RemoteIP(r)
	if ev.Details == nil {
		ev.Details = map[string]string{}
	}
	ev.Details["sessions_ended"] = strconv.Itoa(sessions)
	ev.Details["tokens_deactivated"] = strconv.Itoa(tokens)
	p.Site.Audit(ctx, ev)
	return nil
}

// endSessions ends every browser session of the user but exceptID (empty:
// all), deactivates every token of theirs that a session or grant produced,
// and tells the clients the ended sessions signed in to.
func (p *Pages) endSessions(ctx context.Context, userID, exceptID string) (sessions, tokens int, err error) {
	return accounts.EndOtherSessions(ctx, p.Store, p.Notifier, userID, exceptID)
}

// endSession signs out one of the user's sessions. Ending the current one
// is signing out here.
func (a accountAction) endSession() error {
	ctx := a.r.Context()
	id := a.r.PostFormValue("session_id")
	s, err := a.p.Store.GetSession(ctx, id, a.p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) || (err == nil && s.UserID != a.user.ID) {
		// Ended already (or never the user's): nothing to do, and no hint
		// about other users' sessions.
		return a.done("session")
	}
	if err != nil {
		return fmt.Errorf("account: read session: %w", err)
	}
	if s.ID == a.sess.ID {
		return a.signOutHere()
	}
	if err := a.p.Store.DeleteSession(ctx, s.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("account: end session: %w", err)
	}
	n, err := a.p.Store.DeactivateTokens(ctx, storage.TokenFilter{SessionID: s.ID, Subject: a.user.ID, Kinds: grantKinds})
	if err != nil {
		return fmt.Errorf("account: deactivate session tokens: %w", err)
	}
	a.p.Notifier.SessionEnded(ctx, a.user.ID, s.ID)
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "session.ended", ActorID: a.user.ID, SubjectID: a.user.ID, OrgID: s.OrgID,
		IP: a.p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{"session_id": s.ID, "tokens_deactivated": strconv.Itoa(n)}})
	return a.done("session")
}

// signOutHere ends this browser's session as the logout does: its tokens
// stop, the clients it signed in to are told, the logout is recorded.
func (a accountAction) signOutHere() error {
	ctx := a.r.Context()
	sess, ok, err := a.p.Site.Sessions().End(a.w, a.r)
	if err != nil {
		return err
	}
	if ok {
		n, err := a.p.Store.DeactivateTokens(ctx, storage.TokenFilter{SessionID: sess.ID, Kinds: grantKinds})
		if err != nil {
			return fmt.Errorf("account: deactivate session tokens: %w", err)
		}
		a.p.Notifier.SessionEnded(ctx, sess.UserID, sess.ID)
		a.p.Site.Audit(ctx, storage.AuditEvent{Type: "logout", ActorID: sess.UserID, SubjectID: sess.UserID, OrgID: sess.OrgID,
			IP: a.p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{"session_id": sess.ID, "tokens_deactivated": fmt.Sprint(n)}})
	}
	return a.p.signedOut(a.w)
}

// endAllSessions is "sign out everywhere": every session including this
// one, and every refresh and access token of the user.
func (a accountAction) endAllSessions() error {
	ctx := a.r.Context()
	sessions, tokens, err := a.p.endSessions(ctx, a.user.ID, "")
	if err != nil {
		return err
	}
	if _, _, err := a.p.Site.Sessions().End(a.w, a.r); err != nil {
		return err
	}
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "sessions.ended_all", ActorID: a.user.ID, SubjectID: a.user.ID,
		IP: a.p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{
			"sessions_ended": strconv.Itoa(sessions), "tokens_deactivated": strconv.Itoa(tokens)}})
	return a.p.signedOut(a.w)
}

// revokeApp forgets the consent given to a client and deactivates every
// token that client holds for the user; it must ask again next time.
func (a accountAction) revokeApp() error {
	ctx := a.r.Context()
	clientID := a.r.PostFormValue("client_id")
	if clientID == "" {
		return a.done("app")
	}
	err := a.p.Store.DeleteConsent(ctx, a.user.ID, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return a.done("app")
	}
	if err != nil {
		return fmt.Errorf("account: delete consent: %w", err)
	}
	n, err := a.p.Store.DeactivateTokens(ctx, storage.TokenFilter{Subject: a.user.ID, ClientID: clientID, Kinds: grantKinds})
	if err != nil {
		return fmt.Errorf("account: deactivate client tokens: %w", err)
	}
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "consent.revoked", ActorID: a.user.ID, SubjectID: a.user.ID, ClientID: clientID,
		IP: a.p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{"tokens_deactivated": strconv.Itoa(n)}})
	return a.done("app")
}
