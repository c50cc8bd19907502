package grants

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
)

// TokenTypeIDToken is RFC 8693 §3's URI for an OpenID Connect ID token.
const TokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"

// IDTokenVerifier checks an ID token this provider issued: signed by a
// published key, its issuer ours (tokens.Signer).
type IDTokenVerifier interface {
	VerifyIDTokenHint(ctx context.Context, issuer, raw string) (tokens.IDTokenHint, error)
}

// presented is what a subject or actor token (RFC 8693 §2.1) stands for,
// once it is verified.
type presented struct {
	subject string
	// scopes are what the token carries: an access token's granted scopes;
	// an ID token's only "openid".
	scopes    []string
	expiresAt time.Time
	// act is the token's own act claim, if it was delegated.
	act map[string]any
	// org is the subject token's organization, if any.
	orgID, orgName, orgRole string
	// audience is the ID token's aud (whom it was issued to).
	audience []string
	// amr is the token's sign-in methods, carried to the new token.
	amr []string
}

// errTokenInvalid answers an access or ID token that is not one this
// provider issued and still honours: unknown, revoked, expired, signed by
// a key no longer published (RFC 6749 §5.2 invalid_grant, as for a PAT).
func errTokenInvalid(which string) *fosite.RFC6749Error {
	return fosite.ErrInvalidGrant.WithHintf("The %s is not an active token issued by this provider.", which)
}

// verify checks a subject or actor token of type typ (RFC 8693 §3):
// an access token as introspection does (record active and unexpired, the
// signing key still published), an ID token by its signature under a
// published key, its issuer and its expiry.
func (h *PATExchange) verify(ctx context.Context, which, typ, token string) (presented, error) {
	switch typ {
	case TokenTypeAccessToken:
		ar := fosite.NewAccessRequest(fositestore.NewSession())
		use, err := h.AccessTokens.IntrospectToken(ctx, token, fosite.AccessToken, ar, nil)
		if fositestore.StorageFailed(err) {
			return presented{}, fosite.ErrServerError.WithWrap(err).WithDebugf("look the %s up: %v", which, err)
		}
		if err != nil || use != fosite.AccessToken {
			return presented{}, errTokenInvalid(which)
		}
		sess, ok := ar.GetSession().(*fositestore.Session)
		if !ok {
			return presented{}, fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession())
		}
		exp := sess.GetExpiresAt(fosite.AccessToken)
		if !exp.IsZero() && !exp.After(h.Now()) {
			return presented{}, errTokenInvalid(which)
		}
		return presented{
			subject: sess.GetSubject(), scopes: slices.Clone([]string(ar.GetGrantedScopes())), expiresAt: exp,
			act: sess.Act, orgID: sess.OrgID, orgName: sess.OrgName, orgRole: sess.OrgRole,
			amr: slices.Clone(sess.IDTokenClaims().AuthenticationMethodsReferences),
		}, nil
	case TokenTypeIDToken:
		hint, err := h.IDTokens.VerifyIDTokenHint(ctx, h.Issuer, token)
		if err != nil || hint.Expired || hint.ExpiresAt.IsZero() || !hint.ExpiresAt.After(h.Now()) {
			return presented{}, errTokenInvalid(which)
		}
		return presented{subject: hint.Subject, scopes: []string{"openid"}, expiresAt: hint.ExpiresAt, audience: hint.Audience,
			amr: hint.AMR}, nil
	}
	return presented{}, fosite.ErrInvalidRequest.WithHintf("The %s_type is not supported.", which)
}

// handleTokenSubject is the exchange of an access or ID token (RFC 8693
// §2.1): impersonation, or delegation with an actor_token. The new token
// is for the subject token's sub; its scope only narrows the subject
// token's; its audience is one the client's exchange policy allows.
func (h *PATExchange) handleTokenSubject(ctx context.Context, ar fosite.AccessRequester, cl fosite.Client) error {
	form := ar.GetRequestForm()
	subj, err := h.verify(ctx, "subject_token", form.Get("subject_token_type"), form.Get("subject_token"))
	if err != nil {
		return err
	}
	// An ID token stands for the sign-in of the client it was issued to;
	// another client holding it has no business exchanging it.
	if form.Get("subject_token_type") == TokenTypeIDToken && !slices.Contains(subj.audience, cl.GetID()) {
		return fosite.ErrInvalidGrant.WithHint("The ID token was not issued to this client.")
	}
	var user *storage.User
	u, err := h.Store.GetUser(ctx, subj.subject)
	switch {
	case err == nil && u.Disabled:
		return errTokenInvalid("subject_token")
	case err == nil:
		user = &u
	case !errors.Is(err, storage.ErrNotFound):
		return fosite.ErrServerError.WithWrap(err).WithDebugf("load user: %v", err)
	}
	// A subject that is no user is a client's own client_credentials
	// token (RFC 9068 §2.2); the client must still exist.
	if user == nil {
		if _, err := h.Store.GetClient(ctx, subj.subject); err != nil {
			return errTokenInvalid("subject_token")
		}
	}

	act := subj.act
	exp := subj.expiresAt
	if form.Get("actor_token") != "" {
		actor, err := h.verify(ctx, "actor_token", form.Get("actor_token_type"), form.Get("actor_token"))
		if err != nil {
			return err
		}
		// RFC 8693 §4.1: the outermost act is the current actor; prior
		// actors nest inside it, the least recent deepest.
		act = map[string]any{"sub": actor.subject}
		if actor.act != nil {
			act["act"] = actor.act
		} else if subj.act != nil {
			act["act"] = subj.act
		}
		if !actor.expiresAt.IsZero() && (exp.IsZero() || actor.expiresAt.Before(exp)) {
			exp = actor.expiresAt
		}
	}

	// RFC 8693 §2.1 scope: at most what the subject token carries. With no
	// scope the token gets the subject token's that the client may ask for.
	scopes := ar.GetRequestedScopes()
	if len(scopes) == 0 {
		for _, sc := range subj.scopes {
			if h.Config.GetScopeStrategy(ctx)(cl.GetScopes(), sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	for _, sc := range scopes {
		if !slices.Contains(subj.scopes, sc) {
			return fosite.ErrInvalidScope.WithHintf("The scope %q is not on the subject token.", sc)
		}
		if sc == ScopeAdmin && (user == nil || !UserMayHoldAdmin(*user)) {
			return fosite.ErrInvalidScope.WithHintf("The scope %q is for instance administrators only.", sc)
		}
		if !h.Config.GetScopeStrategy(ctx)(cl.GetScopes(), sc) {
			return fosite.ErrInvalidScope.WithHintf("The client is not allowed to request the scope %q.", sc)
		}
	}

	// RFC 8693 §2.1 audience and resource, §2.2.2 invalid_target: only the
	// client's exchange policy's audiences. Naming none is its only one.
	policy := exchangeAudiences(cl)
	auds := append(slices.Clone([]string(ar.GetRequestedAudience())), form["resource"]...)
	if len(auds) == 0 {
		if len(policy) != 1 {
			return tokens.ErrInvalidTarget.WithHint("Name the audience (or resource) to exchange the token for; the client may exchange to several.")
		}
		auds = policy
	}
	for _, a := range auds {
		if !slices.Contains(policy, a) {
			return tokens.ErrInvalidTarget.WithHintf("The client's token exchange policy does not allow the audience %q.", a)
		}
	}
	for _, sc := range scopes {
		ar.GrantScope(sc)
	}
	seen := map[string]bool{}
	for _, a := range auds {
		if !seen[a] {
			seen[a] = true
			ar.GrantAudience(a)
		}
	}

	sess, err := exchangeSession(ar, subj.subject, cl.GetID())
	if err != nil {
		return err
	}
	sess.Act = act
	// The new token stands for the subject token's sign-in: its amr and
	// the acr that follows from it.
	sess.IDTokenClaims().AuthenticationMethodsReferences = subj.amr
	tokens.SetACR(sess)
	if user != nil {
		if subj.orgID != "" {
			sess.OrgID, sess.OrgName, sess.OrgRole = subj.orgID, subj.orgName, subj.orgRole
		} else if org, err := h.organization(ctx, cl, user.ID); err != nil {
			return err
		} else if org != nil {
			sess.OrgID, sess.OrgName, sess.OrgRole = org.OrgID, org.OrgName, org.Role
		}
		// The organization's second-factor or passkey requirement holds
		// for the exchanged token as for a refresh of the subject's grant.
		if sess.OrgID != "" {
			m, err := h.Store.GetMembership(ctx, sess.OrgID, user.ID)
			if errors.Is(err, storage.ErrNotFound) {
				return fosite.ErrInvalidGrant.WithHint("The person is no longer a member of the subject token's organization.")
			}
			if err != nil {
				return fosite.ErrServerError.WithWrap(err).WithDebugf("load membership: %v", err)
			}
			if LacksRequiredFactor(&m, subj.amr) {
				return fosite.ErrInvalidGrant.WithHintf("The organization requires %s; sign in with it again.", RequiredFactorText(&m))
			}
		}
		if err := LoadGroups(ctx, h.Store, sess, user.ID, ar.GetGrantedScopes()); err != nil {
			return err
		}
	}
	end := h.Now().Add(h.lifespanFor(cl))
	if !exp.IsZero() && exp.Before(end) {
		end = exp
	}
	sess.SetExpiresAt(fosite.AccessToken, end.UTC())
	return nil
}

// exchangeAudiences is the client's token exchange policy.
func exchangeAudiences(cl fosite.Client) []string {
	if c, ok := cl.(*fositestore.Client); ok {
		return c.Registration().ExchangeAudiences
	}
	return nil
}

// checkActor checks the actor parameters of RFC 8693 §2.1: actor_token_type
// is required with actor_token and forbidden without it; an actor is an
// access or ID token.
func checkActor(get func(string) string) error {
	switch at, att := get("actor_token"), get("actor_token_type"); {
	case at == "" && att == "":
		return nil
	case at == "":
		return fosite.ErrInvalidRequest.WithHint("The actor_token_type parameter is present without actor_token (RFC 8693 section 2.1).")
	case att == "":
		return fosite.ErrInvalidRequest.WithHint("The actor_token_type parameter is missing; it is required with actor_token (RFC 8693 section 2.1).")
	case att != TokenTypeAccessToken && att != TokenTypeIDToken:
		return fosite.ErrInvalidRequest.WithHintf("The actor_token_type is not supported; use %s or %s.", TokenTypeAccessToken, TokenTypeIDToken)
	}
	return nil
}

// subjectTypeMismatch refuses a personal access token presented under
// another type: the request names the token wrongly (invalid_request).
func subjectTypeMismatch(get func(string) string) error {
	if get("subject_token_type") != pat.TokenType && pat.Looks(get("subject_token")) {
		return fosite.ErrInvalidRequest.WithHint(fmt.Sprintf("The subject_token is a personal access token; its type is %s.", pat.TokenType))
	}
	return nil
}
