package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/accounts"
)

// homeRealm answers "Continue with single sign-on": an address in an
// organization's verified domain goes to that organization's connector.
func (p *Pages) homeRealm(w http.ResponseWriter, r *http.Request, f *flow, email string) error {
	if !p.federationOn() || p.Federation.Orgs == nil {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email,
			Error: "Single sign-on is not available here. Sign in with your password."})
	}
	addr, err := accounts.NormalizeEmail(email)
	if err != nil {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email,
			Error: "Enter your work email address, like name@example.com."})
	}
	oc, ok, err := p.Federation.Orgs.Discover(r.Context(), addr)
	if err != nil {
		return err
	}
	conn, known := p.Federation.Connectors.Get(oc.ConnectorID)
	if !ok || !known {
		return p.loginForm(w, r, f, http.StatusUnprocessableEntity, loginPage{Email: email,
			Error: "Single sign-on is not set up for this address. Sign in with your password or another way below."})
	}
	st := upstreamState{Connector: oc.ConnectorID, OrgID: oc.OrgID}
	if f != nil {
		st.RequestID = f.req.ID
	} else {
		st.ReturnTo = safeReturnTo(r.PostFormValue("return_to"))
	}
	return p.sendUpstream(w, r, conn, st)
}

// passwordRefused is the message for a password sign-in that the address's
// organization forbids; empty when passwords are allowed. It is the same
// for known and unknown addresses: it depends on the domain only.
func (p *Pages) passwordRefused(ctx context.Context, email string) (string, error) {
	if !p.federationOn() || p.Federation.Orgs == nil {
		return "", nil
	}
	addr, err := accounts.NormalizeEmail(email)
	if err != nil {
		return "", nil
	}
	oc, ok, err := p.Federation.Orgs.Discover(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("web: home realm: %w", err)
	}
	if !ok || !oc.ForbidPassword {
		return "", nil
	}
	name := "your organization's sign-in"
	if c, found := p.Federation.Connectors.Get(oc.ConnectorID); found {
		name = c.Config().Name
	}
	return "Your organization does not allow passwords for this address. Use \"Continue with single sign-on\" to sign in with " + name + ".", nil
}
