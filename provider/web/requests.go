package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/web/account"
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
