package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/storage"
)

// decision is what the authorization endpoint does next: send the browser
// to a page, answer the client with an error, or grant.
type decision struct {
	page string
	err  error

	browser  storage.Session
	user     storage.User
	org      *storage.Membership
	authTime time.Time
	// requestedAt is when the authorization request first arrived.
	requestedAt time.Time
	// acr is, when page is the step-up, the class the session must reach.
	acr string
}

// decide runs the same steps on every arrival, first or resumed: sign-in,
// organization, consent. Decisions recorded on a parked request count only
// while the browser session that made them presents it.
func (s *Server) decide(ctx context.Context, r *http.Request, browser *browserLookup, ar fosite.AuthorizeRequester, cl storage.Client, parked *storage.AuthRequest, p authParams) (decision, error) {
	now := s.now()
	d := decision{requestedAt: now}
	var rec storage.AuthRequest
	if parked != nil {
		d.requestedAt = parked.CreatedAt
		if parked.Denied {
			// Refusing grants nothing, so it counts whoever recorded it.
			return decision{err: fosite.ErrAccessDenied.WithHint("The user denied the request.")}, nil
		}
	}
	bs, signedIn, err := browser.current()
	if err != nil {
		return d, fmt.Errorf("browser session: %w", err)
	}
	if signedIn {
		d.browser = bs
		if parked != nil && parked.SessionID == bs.ID {
			rec = *parked
		}
	}
	none := slices.Contains(p.prompts, "none")
	// need sends the browser to page, or with prompt=none answers e
	// (OIDC Core §3.1.2.6).
	need := func(page string, e *fosite.RFC6749Error, hint string) (decision, error) {
		if none {
			return decision{err: e.WithHint(hint)}, nil
		}
		d.page = page
		return d, nil
	}
	signedInHere := !rec.LoginAt.IsZero()

	// (a) Sign-in.
	if !signedIn {
		return need(PathLogin, fosite.ErrLoginRequired, "No user is signed in.")
	}
	u, err := s.store.GetUser(ctx, bs.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return need(PathLogin, fosite.ErrLoginRequired, "The signed-in user no longer exists.")
	}
	if err != nil {
		return d, fmt.Errorf("load user: %w", err)
	}
	if u.Disabled {
		if signedInHere {
			return decision{err: fosite.ErrAccessDenied.WithHint("The user account is disabled.")}, nil
		}
		return need(PathLogin, fosite.ErrLoginRequired, "The signed-in user is disabled.")
	}
	d.user = u
	d.authTime = bs.AuthTime
	if rec.LoginAt.After(d.authTime) {
		d.authTime = rec.LoginAt
	}
	switch {
	case slices.Contains(p.prompts, "login") && !signedInHere:
		return need(PathLogin, fosite.ErrLoginRequired, "prompt=login asks for a fresh sign-in.")
	case slices.Contains(p.prompts, "select_account") && !signedInHere:
		return need(PathLogin, fosite.ErrLoginRequired, "prompt=select_account asks the user to choose an account.")
	case p.maxAge == 0 && !signedInHere:
		return need(PathLogin, fosite.ErrLoginRequired, "max_age=0 asks for a fresh sign-in.")
	case p.maxAge > 0 && d.authTime.Truncate(time.Second).Add(time.Duration(p.maxAge)*time.Second).Before(now):
		// Truncated as auth_time is, so fosite's own check agrees.
		return need(PathLogin, fosite.ErrLoginRequired, "The sign-in is older than max_age.")
	case p.hintSub != "" && p.hintSub != u.ID:
		if signedInHere {
			return decision{err: fosite.ErrLoginRequired.WithHint("The user signed in is not the one id_token_hint names.")}, nil
		}
		return need(PathLogin, fosite.ErrLoginRequired, "The signed-in user is not the one id_token_hint names.")
	}

	// (b) Organization.
	org, choose, deny, err := s.pickOrg(ctx, cl, u, bs, rec)
	if err != nil {
		return d, err
	}
	if deny != nil {
		return decision{err: deny}, nil
	}
	if choose {
		return need(PathOrganization, fosite.ErrInteractionRequired, "The user must choose an organization.")
	}
	d.org = org
	// (b2) The authentication context. An organization may require a
	// second factor or a passkey (like Keycloak's "configure OTP" required
	// action), and acr_values may ask for a class (OIDC Core §3.1.2.1): a
	// session whose amr does not satisfy the stronger of the two is sent
	// to the step-up page (to confirm a factor it has, or set one up)
	// before the authorization goes on; with prompt=none the client gets
	// interaction_required (§3.1.2.6). The membership carries the
	// organization's requirement. The code then carries the class the
	// session actually reached (tokens.SetACR), never the one asked for.
	if want := acr.Stronger(p.acr, grants.RequiredACR(org)); want != "" && !acr.Satisfies(bs.AMR, want) {
		d.acr = want
		hint := "The sign-in does not satisfy the requested acr_values."
		if grants.LacksRequiredFactor(org, bs.AMR) {
			hint = "The organization requires " + grants.RequiredFactorText(org) + "."
		}
		return need(PathMFASetup, fosite.ErrInteractionRequired, hint)
	}

	// (c) Consent, for third-party clients only.
	if !cl.FirstParty {
		if slices.Contains(p.prompts, "consent") && !rec.ConsentGiven {
			return need(PathConsent, fosite.ErrConsentRequired, "prompt=consent asks for consent.")
		}
		if !rec.ConsentGiven {
			c, err := s.store.GetConsent(ctx, u.ID, cl.ID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return d, fmt.Errorf("load consent: %w", err)
			}
			if err != nil || !covers(c.Scopes, ar.GetRequestedScopes()) {
				return need(PathConsent, fosite.ErrConsentRequired, "The user has not consented to the requested scopes.")
			}
		}
	}
	return d, nil
}

// pickOrg finds the organization of the login: the client's own (a bound
// client never shows the picker), the only membership, the one chosen
// during this request, or the session's active one while it is still a
// membership. No membership at all is no organization. choose is set when
// the user has several and none applies; deny when the user may not use
// this client at all.
func (s *Server) pickOrg(ctx context.Context, cl storage.Client, u storage.User, bs storage.Session, rec storage.AuthRequest) (org *storage.Membership, choose bool, deny error, err error) {
	if cl.OrgID != "" {
		m, err := s.store.GetMembership(ctx, cl.OrgID, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, false, fosite.ErrAccessDenied.WithHint("The user is not a member of the organization this application belongs to."), nil
		}
		if err != nil {
			return nil, false, nil, fmt.Errorf("load membership: %w", err)
		}
		return &m, false, nil, nil
	}
	ms, err := s.store.ListMembershipsByUser(ctx, u.ID)
	if err != nil {
		return nil, false, nil, fmt.Errorf("list memberships: %w", err)
	}
	switch len(ms) {
	case 0:
		return nil, false, nil, nil
	case 1:
		return &ms[0], false, nil, nil
	}
	for _, want := range []string{rec.OrgID, bs.OrgID} {
		if want == "" {
			continue
		}
		if i := slices.IndexFunc(ms, func(m storage.Membership) bool { return m.OrgID == want }); i >= 0 {
			return &ms[i], false, nil, nil
		}
	}
	return nil, true, nil, nil
}

// covers reports whether every requested scope was consented to.
func covers(granted, requested []string) bool {
	for _, sc := range requested {
		if !slices.Contains(granted, sc) {
			return false
		}
	}
	return true
}

// grant issues the code: fosite's authorize handlers run with a session
// describing the user, their organization and the browser session.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, cl storage.Client, parked *storage.AuthRequest, d decision) {
	ctx := r.Context()
	if parked != nil {
		// Single use: of two browsers resuming the same request, one wins.
		if err := s.store.DeleteAuthRequest(ctx, parked.ID); errors.Is(err, storage.ErrNotFound) {
			s.pages.RenderError(w, r, http.StatusBadRequest, "Sign-in request expired",
				"This sign-in request was already completed. Go back to the application and start again.")
			return
		} else if err != nil {
			s.serverErrorPage(w, r, "finish authorization request", err)
			return
		}
	}
	// ostiary:admin only for instance admins (grants/rules.go).
	for _, sc := range grants.GrantableScopes(d.user, ar.GetRequestedScopes()) {
		ar.GrantScope(sc)
	}
	for _, a := range tokens.Audience(ar.GetClient(), ar.GetRequestedAudience()) {
		ar.GrantAudience(a)
	}

	sess := fositestore.NewSession()
	sess.Subject = d.user.ID
	sess.ClientID = cl.ID
	sess.SID = d.browser.ID
	sess.IdP = d.browser.IdP
	if d.org != nil {
		sess.OrgID, sess.OrgName, sess.OrgRole = d.org.OrgID, d.org.OrgName, d.org.Role
	}
	claims := sess.IDTokenClaims()
	claims.Subject = d.user.ID
	// Whole seconds on both sides, as in the token, so fosite's prompt and
	// max_age checks compare what the client will see.
	claims.AuthTime = d.authTime.Truncate(time.Second).UTC()
	claims.RequestedAt = d.requestedAt.Truncate(time.Second).UTC()
	claims.AuthenticationMethodsReferences = d.browser.AMR
	if err := grants.LoadGroups(ctx, s.store, sess, d.user.ID, ar.GetGrantedScopes()); err != nil {
		s.writeAuthorizeError(ctx, w, ar, err)
		return
	}
	tokens.SetIDTokenClaims(sess, d.user, ar.GetGrantedScopes())

	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		s.writeAuthorizeError(ctx, w, ar, err)
		return
	}
	// RFC 9207 §2: the issuer in every authorization response.
	resp.AddParameter("iss", s.cfg.Issuer)
	if ar.GetResponseMode() == fosite.ResponseModeFormPost {
		writeFormPost(w, ar.GetRedirectURI(), resp.GetParameters())
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}
