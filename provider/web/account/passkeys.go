package account

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Passkeys keeps a person's passkeys and runs their ceremonies;
// *passkey.Service is one. Ceremony errors are passkey's faults, each
// already recorded as passkey.failed.
type Passkeys interface {
	Enabled() bool
	List(ctx context.Context, userID string) ([]storage.Passkey, error)
	Rename(ctx context.Context, userID, id, name string) error
	Remove(ctx context.Context, actor accounts.Actor, userID, id string) error
	BeginRegistration(ctx context.Context, user storage.User) (passkey.Begun, error)
	FinishRegistration(ctx context.Context, actor accounts.Actor, user storage.User, secret, name string, response []byte) (storage.Passkey, error)
	BeginSecondFactor(ctx context.Context, userID string) (passkey.Begun, error)
	FinishSecondFactor(ctx context.Context, ip, userID, secret string, response []byte) (storage.Passkey, error)
}

// Paths of the passkey page, its forms and its script's calls.
const (
	PathPasskeys        = "/account/passkeys"
	PathPasskeyBegin    = "/account/passkeys/begin"
	PathPasskeyFinish   = "/account/passkeys/finish"
	PathPasskeyRename   = "/account/passkeys/rename"
	PathPasskeyRemove   = "/account/passkeys/remove"
	PathStepUpBegin     = PathMFA + "/passkey/begin"
	PathStepUpFinish    = PathMFA + "/passkey/finish"
	passkeyNoticeAdded  = "added"
	passkeyNoticeRename = "renamed"
	passkeyNoticeGone   = "removed"
)

// RecentSignIn is how long after signing in a session may add or remove a
// passkey without confirming the password (or an authenticator code) again.
const RecentSignIn = 10 * time.Minute

var passkeyNotices = map[string]string{
	passkeyNoticeAdded:  "Your passkey was added. You can sign in with it instead of your password.",
	passkeyNoticeRename: "The passkey was renamed.",
	passkeyNoticeGone:   "The passkey was removed. It can no longer sign in to this account.",
}

type passkeysPage struct {
	Title  string
	CSRF   string
	Notice string
	Error  string
	// Register is the "Add a passkey" form; empty when passkeys are off
	// on this server (the list still shows, rename and remove still work).
	Register, RegisterFinish string
	// NeedProof asks for the password (or a code) with a change: the
	// session signed in more than RecentSignIn ago.
	NeedProof bool
	Keys      []passkeyView
	Rename    string
	Remove    string
	// ClientName and ContinueURL are set during an application's sign-in
	// (?request=ID) that needs a passkey.
	ClientName, ContinueURL string
	DoneURL                 string
	RequestID               string
}

type passkeyView struct {
	ID, Name, Type, Model string
	Created, LastUsed     timeView
	CloneWarning          bool
}

func (p *Pages) passkeyRoutes() []page.Route {
	if p.Passkeys == nil {
		return nil
	}
	routes := []page.Route{
		page.Get(PathPasskeys, p.Site.SignedIn(p.passkeysPage)),
		page.Post(PathPasskeyRename, p.Site.SignedInForm(p.passkeyRename)),
		page.Post(PathPasskeyRemove, p.Site.SignedInForm(p.passkeyRemove)),
	}
	if p.Passkeys.Enabled() {
		routes = append(routes,
			page.Post(PathPasskeyBegin, p.Site.JSON(p.Site.SignedInForm(p.passkeyBegin))),
			page.Post(PathPasskeyFinish, p.Site.JSON(p.Site.SignedInForm(p.passkeyFinish))),
			page.Post(PathStepUpBegin, p.Site.JSON(p.stepUpBegin)),
			page.Post(PathStepUpFinish, p.Site.JSON(p.stepUpFinish)))
	}
	return routes
}

// recent reports whether sess signed in a moment ago.
func (p *Pages) recent(sess storage.Session) bool {
	return p.Site.Now().Sub(sess.AuthTime) <= RecentSignIn
}

// passkeysPage serves GET /account/passkeys: the person's passkeys (name,
// type, created, last used), rename and remove, and "Add a passkey".
func (p *Pages) passkeysPage(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	return p.renderPasskeys(w, r, sess, user, http.StatusOK, passkeysPage{Notice: passkeyNotices[r.URL.Query().Get("done")]})
}

func (p *Pages) renderPasskeys(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User, status int,
	data passkeysPage) error {
	req, err := p.Requests.SignInRequest(r)
	if err != nil {
		return err
	}
	keys, err := p.Passkeys.List(r.Context(), user.ID)
	if err != nil {
		return err
	}
	data.Title = "Passkeys"
	for _, k := range keys {
		kind := passkey.KindOf(k)
		data.Keys = append(data.Keys, passkeyView{ID: k.ID, Name: k.Name, Type: kind.Type, Model: kind.Model,
			Created: when(k.CreatedAt), LastUsed: when(k.LastUsedAt), CloneWarning: k.CloneWarning})
	}
	if p.Passkeys.Enabled() {
		data.Register = p.withRequest(PathPasskeyBegin, req)
		data.RegisterFinish = p.withRequest(PathPasskeyFinish, req)
	}
	data.NeedProof = !p.recent(sess)
	data.Rename, data.Remove = p.Site.Path(PathPasskeyRename), p.Site.Path(PathPasskeyRemove)
	data.DoneURL = p.Site.Path(PathAccount)
	if req != nil && req.SessionID == sess.ID {
		data.ClientName, data.RequestID = req.ClientName, req.ID
		data.ContinueURL = p.Site.WithRequest(PathMFA, req.ID)
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "passkeys", data)
}

func (p *Pages) withRequest(local string, req *SignInRequest) string {
	if req != nil {
		return p.Site.WithRequest(local, req.ID)
	}
	return p.Site.Path(local)
}

// confirmChange lets a change to the person's passkeys through for a
// recent sign-in, or with the password or a current authenticator code in
// the form's proof field (counted against the second-factor throttle);
// msg says why not.
func (p *Pages) confirmChange(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) (msg string, stop bool, err error) {
	if p.recent(sess) {
		return "", false, nil
	}
	c := &mfaContext{sess: sess, user: user}
	if stop, err := p.checkAttempt(w, r, c); stop || err != nil {
		return "", true, err
	}
	ok, err := p.proveFactorOrPassword(r, user, r.PostFormValue("proof"))
	if err != nil {
		return "", false, err
	}
	if !ok {
		if err := p.attemptFailed(r, c, "passkey_bad_proof"); err != nil {
			return "", false, err
		}
		return "You signed in a while ago: enter your password (or a current code from your authenticator app) to confirm.", false, nil
	}
	p.attemptSucceeded(r, c)
	return "", false, nil
}

// passkeyBegin serves POST /account/passkeys/begin: the options that
// create a passkey for the signed-in person.
func (p *Pages) passkeyBegin(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	msg, stop, err := p.confirmChange(w, r, sess, user)
	if stop || err != nil {
		return err
	}
	if msg != "" {
		return fault.Forbiddenf("%s", msg)
	}
	b, err := p.Passkeys.BeginRegistration(r.Context(), user)
	if err != nil {
		return err
	}
	p.Site.SetPasskeyCookie(w, PathPasskeyFinish, b.Secret, passkey.ChallengeLifetime)
	return page.WriteJSON(w, http.StatusOK, b.Options)
}

// passkeyFinish serves POST /account/passkeys/finish: the new passkey is
// verified and stored under the name in the form.
func (p *Pages) passkeyFinish(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	req, err := p.Requests.SignInRequest(r)
	if err != nil {
		return err
	}
	resp, err := page.PasskeyResponse(r)
	if err != nil {
		return err
	}
	secret := p.Site.TakePasskeySecret(w, r, PathPasskeyFinish)
	actor := accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}
	if _, err := p.Passkeys.FinishRegistration(r.Context(), actor, user, secret, r.PostFormValue("name"), resp); err != nil {
		return err
	}
	next := p.Site.Path(PathPasskeys) + "?done=" + passkeyNoticeAdded
	if req != nil && req.SessionID == sess.ID {
		// Back to the sign-in's second step, which now offers the passkey.
		next = p.Site.WithRequest(PathMFA, req.ID)
	}
	return page.WriteJSON(w, http.StatusOK, page.Next{Redirect: next})
}

func (p *Pages) passkeyRename(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	err := p.Passkeys.Rename(r.Context(), user.ID, r.PostFormValue("id"), r.PostFormValue("name"))
	if fault.KindOf(err) == fault.Invalid {
		return p.renderPasskeys(w, r, sess, user, http.StatusUnprocessableEntity, passkeysPage{Error: ruleMessage(err)})
	}
	if err != nil {
		return err
	}
	return page.RedirectSeeOther(w, r, p.Site.Path(PathPasskeys)+"?done="+passkeyNoticeRename)
}

func (p *Pages) passkeyRemove(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	msg, stop, err := p.confirmChange(w, r, sess, user)
	if stop || err != nil {
		return err
	}
	if msg != "" {
		return p.renderPasskeys(w, r, sess, user, http.StatusUnprocessableEntity, passkeysPage{Error: msg})
	}
	actor := accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}
	if err := p.Passkeys.Remove(r.Context(), actor, user.ID, r.PostFormValue("id")); err != nil {
		return err
	}
	return page.RedirectSeeOther(w, r, p.Site.Path(PathPasskeys)+"?done="+passkeyNoticeGone)
}

// stepUpBegin serves POST /account/mfa/passkey/begin?request=ID: during a
// sign-in that needs more than the session has, the options that ask for
// one of the person's passkeys.
func (p *Pages) stepUpBegin(w http.ResponseWriter, r *http.Request) error {
	c, err := p.stepUpUser(r)
	if c == nil || err != nil {
		return err
	}
	b, err := p.Passkeys.BeginSecondFactor(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	p.Site.SetPasskeyCookie(w, PathStepUpFinish, b.Secret, passkey.ChallengeLifetime)
	return page.WriteJSON(w, http.StatusOK, b.Options)
}

// stepUpFinish serves POST /account/mfa/passkey/finish?request=ID: a
// verified passkey adds hwk and user (and mfa) to the session's amr, and the
// sign-in continues.
func (p *Pages) stepUpFinish(w http.ResponseWriter, r *http.Request) error {
	c, err := p.stepUpUser(r)
	if c == nil || err != nil {
		return err
	}
	resp, err := page.PasskeyResponse(r)
	if err != nil {
		return err
	}
	secret := p.Site.TakePasskeySecret(w, r, PathStepUpFinish)
	ip := p.Site.Sessions().RemoteIP(r)
	if _, err := p.Passkeys.FinishSecondFactor(r.Context(), ip, c.user.ID, secret, resp); err != nil {
		return err
	}
	err = p.Store.UpdateSession(r.Context(), c.sess.ID, func(s storage.Session) (storage.Session, error) {
		s.AMR = acr.WithFactor(s.AMR, acr.AMRHardwareKey, acr.AMRUserPresence)
		return s, nil
	})
	if err != nil {
		return fmt.Errorf("account: record the session's passkey: %w", err)
	}
	return page.WriteJSON(w, http.StatusOK, page.Next{Redirect: p.continueURL(c.req)})
}

// stepUpUser is mfaUser for the step-up's calls, which cannot redirect:
// a browser that is not the sign-in's is refused.
func (p *Pages) stepUpUser(r *http.Request) (*mfaContext, error) {
	c, _, err := p.mfaContextOf(r)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, page.Show(http.StatusUnauthorized, "You are signed out", "Sign in again to continue.")
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return nil, err
	}
	return c, nil
}

// hasPasskeys reports whether the person has a passkey to step up with.
func (p *Pages) hasPasskeys(ctx context.Context, userID string) (bool, error) {
	if p.Passkeys == nil || !p.Passkeys.Enabled() {
		return false, nil
	}
	keys, err := p.Passkeys.List(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("account: list passkeys: %w", err)
	}
	return slices.ContainsFunc(keys, func(k storage.Passkey) bool { return !k.CloneWarning }), nil
}

// passkeysURL is the passkey page, during the sign-in req if any.
func (p *Pages) passkeysURL(req *SignInRequest) string {
	if req != nil {
		return p.Site.Path(PathPasskeys) + "?" + url.Values{"request": {req.ID}}.Encode()
	}
	return p.Site.Path(PathPasskeys)
}
