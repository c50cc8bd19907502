package selfservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/web/orgs"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type invitationPage struct {
	Title, CSRF, Error string
	Action             string
	Invitation         accounts.Invitation
	// One of the three ways on: Join (signed in as the invitee), SignIn
	// (the invitee has an account), Register (they have none yet).
	Join, Register bool
	SignInURL      string
	// Other is the address signed in when it is not the invited one.
	Other     string
	LogoutURL string
	Name      string
}

// acceptInvitation serves GET and POST /invitations/accept?org=ID&token=T:
// what the invitation is for, then joining with the signed-in account, or
// creating the account first. The link is used up only by the POST, so a
// mail scanner opening it changes nothing.
func (p *Pages) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	orgID, secret := q.Get("org"), q.Get("token")
	inv, err := p.Invitations.Invitation(ctx, orgID, secret)
	if errors.Is(err, accounts.ErrInvitationGone) {
		return &page.Error{Status: http.StatusGone, Title: "This invitation is no longer valid",
			Detail: "It was used already, replaced by a newer invitation, or it expired. Ask for a new one.", Err: err}
	}
	if err != nil {
		return err
	}
	self := p.Site.Path(PathAcceptInvitation) + "?" + url.Values{"org": {orgID}, "token": {secret}}.Encode()
	data := invitationPage{Title: "Join " + inv.OrgName, Action: self, Invitation: inv, LogoutURL: p.Site.Path(pathLogout)}
	_, user, signedIn, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	_, err = p.Store.GetUserByEmail(ctx, inv.Email)
	hasAccount := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("selfservice: look up invitee: %w", err)
	}
	switch {
	case signedIn && strings.EqualFold(user.Email, inv.Email):
		data.Join = true
	case signedIn:
		data.Other = user.Email
	case hasAccount:
		data.SignInURL = p.Site.Path(pathLogin) + "?" + url.Values{"return_to": {self}}.Encode()
	default:
		data.Register = true
	}

	status := http.StatusOK
	if r.Method == http.MethodPost {
		if err := p.Site.Sessions().CheckCSRF(r); err != nil {
			return err
		}
		switch {
		case data.Join:
			if _, err := p.Invitations.Accept(ctx, accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}, orgID, secret); err != nil {
				return p.invitationRefused(err)
			}
			return page.RedirectSeeOther(w, r, p.Site.Path(pathOrgs+"/"+url.PathEscape(orgID))+"?done=joined")
		case data.Register:
			msg, err := p.registerInvitee(ctx, w, r, inv, orgID, secret)
			if err != nil {
				return err
			}
			if msg == "" {
				return page.RedirectSeeOther(w, r, p.Site.Path(pathOrgs+"/"+url.PathEscape(orgID))+"?done=joined")
			}
			data.Error, data.Name, status = msg, r.PostFormValue("name"), http.StatusUnprocessableEntity
		default:
			return page.Show(http.StatusConflict, "Sign in first", "Sign in with the invited address to accept this invitation.")
		}
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "invitation", data)
}

func (p *Pages) invitationRefused(err error) error {
	msg, ok := orgs.RuleMessage(err, "You are a member already.")
	if !ok {
		return err
	}
	return &page.Error{Status: http.StatusUnprocessableEntity, Title: "The invitation could not be accepted", Detail: msg, Err: err}
}

// registerInvitee creates the invitee's account, verified (the link came
// to that address), joins them to the organization in the same
// transaction, and signs them in. A non-empty msg is a problem with the
// form to show.
func (p *Pages) registerInvitee(ctx context.Context, w http.ResponseWriter, r *http.Request, inv accounts.Invitation, orgID, secret string) (msg string, err error) {
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password_confirm") {
		return "The two passwords differ. Type the same password twice.", nil
	}
	var user storage.User
	err = p.Transactor.InTx(ctx, func(ctx context.Context) error {
		var err error
		user, err = p.Users.CreateUser(ctx, accounts.NewUser{Email: inv.Email, Name: r.PostFormValue("name"), Password: pw, Verified: true})
		if err != nil {
			return err
		}
		_, err = p.Invitations.Accept(ctx, accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}, orgID, secret)
		return err
	})
	if err != nil {
		if errors.Is(err, accounts.ErrInvalid) {
			m, _ := orgs.RuleMessage(err, "")
			return m, nil
		}
		if errors.Is(err, storage.ErrAlreadyExists) {
			return "", page.Show(http.StatusConflict, "You have an account already", "Sign in with it, then open the invitation link again.")
		}
		return "", p.invitationRefused(err)
	}
	sess, err := p.Site.Sessions().Start(w, r, user.ID, []string{"pwd"}, p.Site.Now())
	if err != nil {
		return "", err
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "user.registered", ActorID: user.ID, SubjectID: user.ID, IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"via": "invitation", "session_id": sess.ID}})
	return "", nil
}
