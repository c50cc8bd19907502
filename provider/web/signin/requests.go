package signin

import (
	"net/http"

	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/selfservice"
)

// The account and self-service pages can be opened in the middle of a
// sign-in (an organization's second-factor requirement, "create an
// account" on the login page) and lead back to it; they read the parked
// request through these, so that they never import this package.

// SignInRequest is the parked request the URL's request parameter names
// (account.Requests): nil without one.
func (p *Flows) SignInRequest(r *http.Request) (*account.SignInRequest, error) {
	f, err := p.Load(r)
	if f == nil || err != nil {
		return nil, err
	}
	return &account.SignInRequest{ID: f.Req.ID, ClientID: f.ClientID(), ClientName: f.ClientName(),
		SessionID: f.Req.SessionID, RedirectTargets: f.RedirectTargets(), ACR: f.Req.ACR}, nil
}

// Application is the parked request as the self-service pages show it
// (selfservice.Requests): nil without one.
func (p *Flows) Application(r *http.Request) (*selfservice.Application, error) {
	f, err := p.Load(r)
	if f == nil || err != nil {
		return nil, err
	}
	return &selfservice.Application{RequestID: f.Req.ID, Name: f.ClientName()}, nil
}
