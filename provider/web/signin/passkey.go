package signin

import (
	"context"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Passkeys runs the WebAuthn ceremonies of sign-in; *passkey.Service is
// one. Its errors are passkey's faults (ErrExpired, ErrRefused …), each
// already recorded as passkey.failed.
type Passkeys interface {
	Enabled() bool
	List(ctx context.Context, userID string) ([]storage.Passkey, error)
	BeginSignIn(ctx context.Context) (passkey.Begun, error)
	FinishSignIn(ctx context.Context, ip, secret string, response []byte) (storage.User, storage.Passkey, error)
	BeginSecondFactor(ctx context.Context, userID string) (passkey.Begun, error)
	FinishSecondFactor(ctx context.Context, ip, userID, secret string, response []byte) (storage.Passkey, error)
}

// Paths of the passkey calls the login and second-factor pages' script
// makes (static/passkey.js): begin answers the WebAuthn options, finish
// takes the credential and answers where to go.
const (
	PathPasskeyBegin        = "/login/passkey/begin"
	PathPasskeyFinish       = "/login/passkey/finish"
	PathPasskeyFactorBegin  = PathSecondFactor + "/passkey/begin"
	PathPasskeyFactorFinish = PathSecondFactor + "/passkey/finish"
)

// PasskeyCookie is the cookie of a ceremony in progress.
const PasskeyCookie = page.PasskeyCookie

// passkeyForm is what a page's passkey form needs: the calls it makes.
type passkeyForm struct {
	Begin, Finish string
}

// passkeyOn reports whether the pages offer passkeys.
func (p *Pages) passkeyOn() bool { return p.Passkeys != nil && p.Passkeys.Enabled() }

// signInForm is the login page's "Sign in with a passkey" form, nil when
// passkeys are off.
func (p *Pages) signInForm(f *Flow) *passkeyForm {
	if !p.passkeyOn() {
		return nil
	}
	return &passkeyForm{Begin: p.Flows.InFlow(PathPasskeyBegin, f), Finish: p.Flows.InFlow(PathPasskeyFinish, f)}
}

// passkeyBegin serves POST /login/passkey/begin: the options of a
// passwordless sign-in. It asks for no address and says nothing about any
// account: the browser offers the passkeys it holds for this site.
func (p *Pages) passkeyBegin(w http.ResponseWriter, r *http.Request) error {
	if _, err := p.Flows.Load(r); err != nil {
		return err
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	b, err := p.Passkeys.BeginSignIn(r.Context())
	if err != nil {
		return err
	}
	p.Site.SetPasskeyCookie(w, PathPasskeyFinish, b.Secret, passkey.ChallengeLifetime)
	return page.WriteJSON(w, http.StatusOK, b.Options)
}

// passkeyFinish serves POST /login/passkey/finish: a verified passkey
// signs the browser in, with amr hwk, user and mfa (RFC 8176: possession
// of the key, verified by PIN or biometric).
func (p *Pages) passkeyFinish(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	resp, err := page.PasskeyResponse(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	secret := p.Site.TakePasskeySecret(w, r, PathPasskeyFinish)
	user, pk, err := p.Passkeys.FinishSignIn(ctx, ip, secret, resp)
	if err != nil {
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.failure", SubjectID: user.ID, ClientID: f.ClientID(), IP: ip,
			Details: map[string]string{"reason": "passkey_refused"}})
		return err
	}
	amr := acr.Passkey()
	sess, err := p.Site.Sessions().Start(w, r, user.ID, amr, p.Site.Now())
	if err != nil {
		return err
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "login.success", ActorID: user.ID, SubjectID: user.ID, ClientID: f.ClientID(),
		IP: ip, Details: map[string]string{"session_id": sess.ID, "amr": strings.Join(amr, " "), "passkey_id": pk.ID}})
	if f == nil {
		return page.WriteJSON(w, http.StatusOK, page.Next{Redirect: p.returnTo(r)})
	}
	if err := p.Flows.Bind(ctx, f.Req.ID, sess.ID, true); err != nil {
		return err
	}
	return page.WriteJSON(w, http.StatusOK, page.Next{Redirect: p.Flows.ResumeURL(f.Req.ID)})
}

// factorForm is the second-factor page's "Use a passkey" form, nil
// when the person has no passkey (or passkeys are off).
func (p *Pages) factorForm(ctx context.Context, f *Flow, userID string) (*passkeyForm, error) {
	if !p.passkeyOn() {
		return nil, nil
	}
	keys, err := p.Passkeys.List(ctx, userID)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	return &passkeyForm{Begin: p.Flows.InFlow(PathPasskeyFactorBegin, f), Finish: p.Flows.InFlow(PathPasskeyFactorFinish, f)}, nil
}

// passkeyFactorBegin serves POST /login/mfa/passkey/begin: after a right
// password, the options that ask for one of the person's passkeys.
func (p *Pages) passkeyFactorBegin(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	c, _, err := p.currentChallenge(r, f)
	if err != nil {
		return err
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	b, err := p.Passkeys.BeginSecondFactor(r.Context(), c.UserID)
	if err != nil {
		return err
	}
	p.Site.SetPasskeyCookie(w, PathPasskeyFactorFinish, b.Secret, passkey.ChallengeLifetime)
	return page.WriteJSON(w, http.StatusOK, b.Options)
}

// passkeyFactorFinish serves POST /login/mfa/passkey/finish: a verified
// passkey completes the sign-in begun with the password, amr pwd, hwk,
// user and mfa.
func (p *Pages) passkeyFactorFinish(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	c, secretHash, err := p.currentChallenge(r, f)
	if err != nil {
		return err
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	resp, err := page.PasskeyResponse(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	secret := p.Site.TakePasskeySecret(w, r, PathPasskeyFactorFinish)
	pk, err := p.Passkeys.FinishSecondFactor(ctx, ip, c.UserID, secret, resp)
	if err != nil {
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.mfa_failure", SubjectID: c.UserID, ClientID: f.ClientID(), IP: ip,
			Details: map[string]string{"reason": "passkey_refused"}})
		return err
	}
	target, err := p.completeSecondFactor(w, r, f, c, secretHash, amrPasskeyFactor, map[string]string{"passkey_id": pk.ID})
	if err != nil {
		return err
	}
	return page.WriteJSON(w, http.StatusOK, page.Next{Redirect: target})
}

// amrPasskeyFactor is the session's amr after a password and a passkey.
var amrPasskeyFactor = acr.WithFactor([]string{acr.AMRPassword}, acr.AMRHardwareKey, acr.AMRUserPresence)
