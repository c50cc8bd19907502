package federation

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/web/signin"
)

// HomeRealm answers "Continue with single sign-on" (signin.Upstream): an
// address in an organization's verified domain goes to that
// organization's connector; otherwise the refusal says why not.
func (p *Pages) HomeRealm(w http.ResponseWriter, r *http.Request, f *signin.Flow, email string) (string, error) {
	addr, err := accounts.NormalizeEmail(email)
	if err != nil {
		return "Enter your work email address, like name@example.com.", nil
	}
	oc, ok, err := p.Orgs.Discover(r.Context(), addr)
	if err != nil {
		return "", err
	}
	conn, known := p.Connectors.Get(oc.ConnectorID)
	if !ok || !known {
		return "Single sign-on is not set up for this address. Sign in with your password or another way below.", nil
	}
	st := upstreamState{Connector: oc.ConnectorID, OrgID: oc.OrgID}
	if f != nil {
		st.RequestID = f.Req.ID
	} else {
		st.ReturnTo = signin.SafeReturnTo(r.PostFormValue("return_to"))
	}
	return "", p.sendUpstream(w, r, conn, st)
}

// PasswordRefused is the message for a password sign-in that the address's
// organization forbids; empty when passwords are allowed. It is the same
// for known and unknown addresses: it depends on the domain only.
func (p *Pages) PasswordRefused(ctx context.Context, email string) (string, error) {
	addr, err := accounts.NormalizeEmail(email)
	if err != nil {
		return "", nil
	}
	oc, ok, err := p.Orgs.Discover(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("federation: home realm: %w", err)
	}
	if !ok || !oc.ForbidPassword {
		return "", nil
	}
	name := "your organization's sign-in"
	if c, found := p.Connectors.Get(oc.ConnectorID); found {
		name = c.Config().Name
	}
	return "Your organization does not allow passwords for this address. Use \"Continue with single sign-on\" to sign in with " + name + ".", nil
}
