package grants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	foauth2 "github.com/ory/fosite/handler/oauth2"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
)

// errPATInvalid answers an unknown, revoked or expired personal access
// token, and one whose user was disabled or deleted: the grant is no
// longer valid (RFC 6749 §5.2). RFC 8693 §2.2.2 suggests invalid_request
// for an unacceptable subject_token; invalid_grant is what a client can act
// on ("get a new token") and what it already gets for a dead refresh token.
var errPATInvalid = fosite.ErrInvalidGrant.WithHint("The personal access token is unknown, revoked or expired.")

// errPATWithoutFactor answers a personal access token made in a session
// without the factor the organization the token would be for requires (a
// second factor, or a passkey): the token stands for that sign-in, as a
// refresh token stands for its grant's (provider/oauth's
// reloadForRefresh), so it is refused while the requirement is on.
func errPATWithoutFactor(org *storage.Membership) *fosite.RFC6749Error {
	return fosite.ErrInvalidGrant.WithHintf("The organization requires %s; "+
		"sign in with it and create a new personal access token.", RequiredFactorText(org))
}

// PATStore is what the exchange and introspection read of personal access
// tokens.
type PATStore interface {
	GetPATByHash(ctx context.Context, tokenHash []byte, now time.Time) (storage.PAT, error)
	TouchPAT(ctx context.Context, id string, now time.Time) error
}

// ExchangeStore is what the exchange reads and writes.
type ExchangeStore interface {
	PATStore
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetClient(ctx context.Context, id string) (storage.Client, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)
}

// PATExchange is the fosite handler of the token-exchange grant: a
// personal access token (provider/pat), an access token or an ID token this
// provider issued, exchanged for a short-lived JWT access token (RFC 8693;
// exchange_tokens.go for the latter two, with delegation). fosite v0.49.0 has no token exchange; this
// handler is composed with the others, so fosite still authenticates the
// client, and the access token is made by the same strategy and recorded
// by the same storage adapter as every other one: it verifies against the
// JWKS, introspects and revokes like them.
type PATExchange struct {
	// Helper issues and records the access token.
	Helper *foauth2.HandleHelper
	Store  ExchangeStore
	// Config is fosite's: its scope and audience strategies apply.
	Config *fosite.Config
	// Lifespan is how long an exchanged token lives, never past the PAT's
	// own expiry nor the client's own access token lifespan.
	Lifespan time.Duration
	// AccessTokens looks an access token subject or actor up as
	// introspection does; IDTokens verifies an ID token one, as issued by
	// Issuer.
	AccessTokens fosite.TokenIntrospector
	IDTokens     IDTokenVerifier
	Issuer       string
	Now          func() time.Time
	Log          *slog.Logger
}

// TokenTypeAccessToken is RFC 8693 §3's URI for an OAuth access token: the
// only token type the exchange issues.
const TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"

// GrantTypeTokenExchange is RFC 8693 §2.1's grant_type.
const GrantTypeTokenExchange = fositestore.GrantTypeTokenExchange

var _ fosite.TokenEndpointHandler = (*PATExchange)(nil)

func (h *PATExchange) CanHandleTokenEndpointRequest(_ context.Context, ar fosite.AccessRequester) bool {
	return ar.GetGrantTypes().ExactOne(GrantTypeTokenExchange)
}

// CanSkipClientAuth is false: a client must be named, and a confidential
// one must authenticate. A public client passes with its client_id alone,
// which is enough: the personal access token is itself the credential, and
// the client's registration says the exchange is allowed at all.
func (h *PATExchange) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

// HandleTokenEndpointRequest validates the request of RFC 8693 §2.1 and
// prepares the grant: scopes, audiences, subject, organization, expiry.
func (h *PATExchange) HandleTokenEndpointRequest(ctx context.Context, ar fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	cl := ar.GetClient()
	if !cl.GetGrantTypes().Has(GrantTypeTokenExchange) {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not registered for the token-exchange grant.")
	}
	form := ar.GetRequestForm()
	if err := checkExchangeForm(form.Get); err != nil {
		return err
	}
	if form.Get("subject_token_type") != pat.TokenType {
		return h.handleTokenSubject(ctx, ar, cl)
	}
	now := h.Now()
	subject := form.Get("subject_token")
	if !pat.Looks(subject) {
		return errPATInvalid
	}
	p, err := h.Store.GetPATByHash(ctx, pat.Hash(subject), now)
	if errors.Is(err, storage.ErrNotFound) {
		return errPATInvalid
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebugf("load personal access token: %v", err)
	}
	u, err := h.Store.GetUser(ctx, p.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return errPATInvalid
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebugf("load user: %v", err)
	}

	// RFC 8693 §2.1: scope narrows what the subject token carries; it can
	// never widen it. With no scope the token gets all of the PAT's.
	scopes := ar.GetRequestedScopes()
	if len(scopes) == 0 {
		scopes = p.Scopes
	}
	for _, sc := range scopes {
		if !slices.Contains(p.Scopes, sc) {
			return fosite.ErrInvalidScope.WithHintf("The scope %q is not on the personal access token.", sc)
		}
		if sc == ScopeAdmin && !UserMayHoldAdmin(u) {
			return fosite.ErrInvalidScope.WithHintf("The scope %q is for instance administrators only.", sc)
		}
		if !h.Config.GetScopeStrategy(ctx)(cl.GetScopes(), sc) {
			return fosite.ErrInvalidScope.WithHintf("The client is not allowed to request the scope %q.", sc)
		}
	}
	// audience and resource (§2.1) both name where the token is for; only
	// the client's registered audiences are acceptable (§2.2.2).
	auds := append(slices.Clone([]string(ar.GetRequestedAudience())), form["resource"]...)
	if err := h.Config.GetAudienceStrategy(ctx)(cl.GetAudience(), auds); err != nil {
		return tokens.ErrInvalidTarget.WithWrap(err)
	}
	for _, sc := range scopes {
		ar.GrantScope(sc)
	}
	for _, a := range tokens.Audience(cl, auds) {
		ar.GrantAudience(a)
	}

	org, err := h.organization(ctx, cl, u.ID)
	if err != nil {
		return err
	}
	if LacksRequiredFactor(org, p.AMR) {
		return errPATWithoutFactor(org)
	}
	sess, err := exchangeSession(ar, u.ID, cl.GetID())
	if err != nil {
		return err
	}
	if org != nil {
		sess.OrgID, sess.OrgName, sess.OrgRole = org.OrgID, org.OrgName, org.Role
	}
	if err := LoadGroups(ctx, h.Store, sess, u.ID, ar.GetGrantedScopes()); err != nil {
		return err
	}
	// The token stands for the sign-in the PAT was made in: its amr, and
	// the acr that follows from it (RFC 9068 §2.2.1).
	sess.IDTokenClaims().AuthenticationMethodsReferences = slices.Clone(p.AMR)
	tokens.SetACR(sess)
	exp := now.Add(h.lifespanFor(cl))
	if !p.ExpiresAt.IsZero() && p.ExpiresAt.Before(exp) {
		exp = p.ExpiresAt
	}
	sess.SetExpiresAt(fosite.AccessToken, exp.UTC())
	// One request id for every token exchanged for this PAT, so revoking
	// the PAT ends them at once.
	ar.SetID(pat.RequestID(p.ID))
	return nil
}

// exchangeSession is the new token's session, for subject, made by clientID.
func exchangeSession(ar fosite.AccessRequester, subject, clientID string) (*fositestore.Session, error) {
	sess, ok := ar.GetSession().(*fositestore.Session)
	if !ok {
		return nil, fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession())
	}
	sess.Subject = subject
	sess.ClientID = clientID
	sess.IDTokenClaims().Subject = subject
	return sess, nil
}

// checkExchangeForm checks the parameters of RFC 8693 §2.1: subject_token
// and subject_token_type are required; a subject is our PAT, an access
// token or an ID token; an actor (delegation) acts for an access or ID
// token subject only, not a PAT; only an access token may be requested.
// Each failure is invalid_request (§2.2.2).
func checkExchangeForm(get func(string) string) error {
	switch st := get("subject_token_type"); {
	case get("subject_token") == "":
		return fosite.ErrInvalidRequest.WithHint("The subject_token parameter is missing (RFC 8693 section 2.1).")
	case st == "":
		return fosite.ErrInvalidRequest.WithHint("The subject_token_type parameter is missing (RFC 8693 section 2.1).")
	case st != pat.TokenType && st != TokenTypeAccessToken && st != TokenTypeIDToken:
		return fosite.ErrInvalidRequest.WithHintf("The subject_token_type is not supported; use %s, %s or %s.",
			pat.TokenType, TokenTypeAccessToken, TokenTypeIDToken)
	case st == pat.TokenType && (get("actor_token") != "" || get("actor_token_type") != ""):
		return fosite.ErrInvalidRequest.WithHint("Delegation (actor_token) is not supported for a personal access token.")
	case get("requested_token_type") != "" && get("requested_token_type") != TokenTypeAccessToken:
		return fosite.ErrInvalidRequest.WithHintf("Only %s can be requested.", TokenTypeAccessToken)
	}
	if err := subjectTypeMismatch(get); err != nil {
		return err
	}
	return checkActor(get)
}

// organization is whose claims the token carries: the client's own
// organization when it is bound to one (the user must be a member), else
// the user's only membership. With several and no binding there is no
// sensible choice, and the token carries none. The membership carries the
// organization's second-factor requirement.
func (h *PATExchange) organization(ctx context.Context, cl fosite.Client, userID string) (*storage.Membership, error) {
	if c, ok := cl.(*fositestore.Client); ok && c.Registration().OrgID != "" {
		m, err := h.Store.GetMembership(ctx, c.Registration().OrgID, userID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fosite.ErrInvalidGrant.WithHint("The person is not a member of the organization this client belongs to.")
		}
		if err != nil {
			return nil, fosite.ErrServerError.WithWrap(err).WithDebugf("load membership: %v", err)
		}
		return &m, nil
	}
	ms, err := h.Store.ListMembershipsByUser(ctx, userID)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebugf("list memberships: %v", err)
	}
	if len(ms) == 1 {
		return &ms[0], nil
	}
	return nil, nil
}

// lifespanFor is the exchange lifespan, or the client's own access token
// lifespan when that is shorter.
func (h *PATExchange) lifespanFor(cl fosite.Client) time.Duration {
	d := fosite.GetEffectiveLifespan(cl, fosite.GrantType(GrantTypeTokenExchange), fosite.AccessToken, h.Lifespan)
	return min(d, h.Lifespan)
}

// PopulateTokenEndpointResponse issues and records the access token and
// answers as RFC 8693 §2.2.1 asks: issued_token_type, token_type Bearer, no
// refresh token.
func (h *PATExchange) PopulateTokenEndpointResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	if _, err := h.Helper.IssueAccessToken(ctx, h.Lifespan, ar, resp); err != nil {
		return err
	}
	resp.SetTokenType("Bearer")
	resp.SetExtra("issued_token_type", TokenTypeAccessToken)
	id, ok := pat.IDFromRequestID(ar.GetID())
	if !ok {
		// An access or ID token subject: no PAT to record a use of.
		return nil
	}
	err := h.Store.TouchPAT(ctx, id, h.Now())
	if errors.Is(err, storage.ErrNotFound) {
		// Revoked while this request ran: the revocation may have
		// deactivated the PAT's tokens before this one was stored, so this
		// one is deactivated here and not handed out.
		if _, err := h.Store.DeactivateTokens(ctx, storage.TokenFilter{Subject: ar.GetSession().GetSubject(), RequestID: ar.GetID()}); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebugf("deactivate token of a revoked PAT: %v", err)
		}
		return errPATInvalid
	}
	if err != nil {
		// Only bookkeeping for the account page.
		h.Log.WarnContext(ctx, "oauth: record personal access token use", "error", fmt.Sprint(err))
	}
	return nil
}
