package federation

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// samlConnector returns the enabled SAML connector the path names.
func (p *Pages) samlConnector(r *http.Request) (*connectors.SAMLConnector, bool) {
	c, ok := p.Connectors.Get(r.PathValue("connector"))
	if !ok {
		return nil, false
	}
	s, ok := c.(*connectors.SAMLConnector)
	return s, ok
}

// samlMetadata serves GET /sso/saml/{connector}/metadata: our service
// provider metadata for the organization's identity provider (its entity id
// is this URL).
func (p *Pages) samlMetadata(w http.ResponseWriter, r *http.Request) error {
	conn, ok := p.samlConnector(r)
	if !ok {
		return page.Show(http.StatusNotFound, "Page not found", "There is no SAML sign-in at this address.")
	}
	md, err := conn.Metadata(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(md)
	return err
}

// samlACS serves POST /sso/saml/{connector}/acs: the identity provider's
// Response, posted by the browser (HTTP-POST binding). The post comes from
// the identity provider's page, so no cookie of ours is sent with it
// (SameSite=Lax): the response is checked here, then the browser goes on
// to GET /login/upstream/callback, which is same-site again, and which
// finishes only in the browser that started the sign-in.
func (p *Pages) samlACS(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	conn, ok := p.samlConnector(r)
	if !ok {
		return page.Show(http.StatusNotFound, "Unknown sign-in provider", "This sign-in option is not available.")
	}
	cfg := conn.Config()
	ip := p.Site.Sessions().RemoteIP(r)
	refuse := func(reason, requestID string, err error) error {
		p.Site.Audit(ctx, storage.AuditEvent{Type: "saml.sso_failure", IP: ip,
			Details: map[string]string{"connector": cfg.ID, "reason": reason}})
		title, detail, status := "Sign-in could not be verified",
			"The answer from "+cfg.Name+" did not pass our checks, so you were not signed in. Start signing in again.", http.StatusBadRequest
		switch reason {
		case connectors.SAMLReasonInResponseTo:
			title, detail = "This sign-in did not start here",
				cfg.Name+" sent a sign-in that this service did not ask for, or that was already used. Start signing in from this service."
		case connectors.SAMLReasonReplayed:
			title, detail = "This sign-in was already used",
				"The answer from "+cfg.Name+" has already signed someone in once. Start signing in again."
		case connectors.SAMLReasonExpired:
			title, detail = "This sign-in has expired",
				"The answer from "+cfg.Name+" took too long to arrive. Start signing in again."
		case "unavailable":
			title, detail, status = cfg.Name+" is not answering",
				"We could not read the settings of "+cfg.Name+". Try again in a moment.", http.StatusBadGateway
		}
		return p.upstreamProblem(w, r, status, requestID, title, detail, err)
	}
	relay := r.PostFormValue("RelayState")
	var st upstreamState
	var requestIDs []string
	bound := false
	if relay != "" && len(relay) <= 512 {
		// Single use, as for an OpenID Connect state: of two posts of one
		// response one finds the request it answers.
		tok, err := p.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(relay), purposeUpstreamState, p.Site.Now())
		switch {
		case err == nil:
			if err := json.Unmarshal(tok.Data, &st); err != nil {
				return fmt.Errorf("federation: decode upstream state: %w", err)
			}
			if st.Connector != cfg.ID || st.SAML != nil {
				return refuse(connectors.SAMLReasonInResponseTo, "", errors.New("RelayState of another connector"))
			}
			requestIDs, bound = []string{connectors.SAMLRequestID(st.Nonce)}, true
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("federation: read upstream state: %w", err)
		}
	}
	res, err := conn.ParseResponse(ctx, r.PostFormValue("SAMLResponse"), requestIDs)
	if err != nil {
		var se *connectors.SAMLError
		reason := connectors.SAMLReasonInvalid
		if errors.As(err, &se) {
			reason = se.Reason
		}
		if errors.Is(err, connectors.ErrUnavailable) {
			reason = "unavailable"
		}
		return refuse(reason, st.RequestID, err)
	}
	if !bound {
		// IdP-initiated (the connector allows it, or ParseResponse would
		// have refused): a fresh round trip that starts in this browser now.
		st = upstreamState{Connector: cfg.ID}
	}
	// The organization's identity provider vouches for addresses in the
	// organization's verified domains, and for no others: an email address
	// counts as confirmed only there, and the user joins that organization.
	id := res.Identity
	if addr, err := accounts.NormalizeEmail(id.Email); err == nil {
		oc, found, err := p.Orgs.Discover(ctx, addr)
		if err != nil {
			return err
		}
		if found && oc.ConnectorID == cfg.ID {
			id.Email, id.EmailVerified = addr, true
			if st.OrgID == "" {
				st.OrgID = oc.OrgID
			}
		}
	}
	if st.OrgID == "" && !bound {
		return refuse("domain_not_verified", "", fmt.Errorf("unsolicited response for %q outside the organization's verified domains", id.Email))
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "saml.sso", IP: ip, OrgID: st.OrgID, Details: map[string]string{"connector": cfg.ID,
		"assertion_id": res.AssertionID, "subject": truncateCode(id.Subject), "idp_initiated": fmt.Sprint(res.Unsolicited)}})
	st.SAML = &id
	return p.samlContinue(w, r, st, !bound)
}

// samlContinue parks the verified identity for /login/upstream/callback
// under a new state; an IdP-initiated sign-in binds to this browser now.
func (p *Pages) samlContinue(w http.ResponseWriter, r *http.Request, st upstreamState, bindHere bool) error {
	if bindHere {
		binding := randtoken.New()
		st.Binding = hex.EncodeToString(randtoken.Hash(binding))
		http.SetCookie(w, p.upstreamCookie(binding, int(p.StateLifetime.Seconds())))
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("federation: encode upstream state: %w", err)
	}
	state := randtoken.New()
	now := p.Site.Now()
	err = p.Store.CreateOneTimeToken(r.Context(), storage.OneTimeToken{TokenHash: randtoken.Hash(state),
		Purpose: purposeUpstreamState, Email: "upstream-saml:" + hex.EncodeToString(randtoken.Hash(state)), UserID: st.LinkUserID,
		Data: data, CreatedAt: now, ExpiresAt: now.Add(p.StateLifetime)})
	if err != nil {
		return fmt.Errorf("federation: park SAML sign-in: %w", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	target := p.Site.Path(PathUpstreamCallback) + "?" + url.Values{"state": {state}}.Encode()
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// samlRoutes are the SAML service provider's endpoints.
func (p *Pages) samlRoutes() []page.Route {
	return []page.Route{
		page.Get(connectors.PathSAMLMetadata, p.samlMetadata),
		page.Post(connectors.PathSAMLACS, p.samlACS),
	}
}
