package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/selfservice"
)

// maxNameLen bounds a display name, as the account page does.
const maxNameLen = 200

// SignInRequest is the parked request a page of web/account was opened
// for, read as the sign-in pages read it (account.Requests).
func (p *Pages) SignInRequest(r *http.Request) (*account.SignInRequest, error) {
	f, err := p.loadFlow(r)
	if f == nil || err != nil {
		return nil, err
	}
	return &account.SignInRequest{ID: f.req.ID, ClientID: f.clientID(), ClientName: f.clientName(),
		SessionID: f.req.SessionID, RedirectTargets: f.redirectTargets()}, nil
}

// ruleMessage turns an accounts.ErrInvalid error into a sentence.
func ruleMessage(err error) string {
	if re, ok := errors.AsType[*accounts.RuleError](err); ok {
		return re.Msg
	}
	msg := strings.TrimSuffix(err.Error(), ": "+accounts.ErrInvalid.Error())
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:] + "."
}

// Application is the parked request a page of web/selfservice was opened
// for, read as the sign-in pages read it (selfservice.Requests).
func (p *Pages) Application(r *http.Request) (*selfservice.Application, error) {
	f, err := p.loadFlow(r)
	if f == nil || err != nil {
		return nil, err
	}
	return &selfservice.Application{RequestID: f.req.ID, Name: f.clientName()}, nil
}

// LinkMailer queues a mail within a per-address cap (selfservice.MailCap).
type LinkMailer interface {
	Send(ctx context.Context, to string, data mail.Data) error
}

// selfServiceLinks are the login page's links to web/selfservice's reset
// and registration, carrying the sign-in request f (nil: none) so that they
// lead back to it.
func (p *Pages) selfServiceLinks(f *flow) (forgot, register string) {
	link := func(local string) string {
		if f == nil {
			return p.site.Path(local)
		}
		return p.site.WithRequest(local, f.req.ID)
	}
	if p.PasswordReset {
		forgot = link(selfservice.PathForgotPassword)
	}
	if p.Registration {
		register = link(selfservice.PathRegister)
	}
	return forgot, register
}

func methodNotAllowed(w http.ResponseWriter) error {
	w.Header().Set("Allow", "GET, HEAD, POST")
	return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
}
