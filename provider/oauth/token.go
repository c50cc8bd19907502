package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/provider/textcheck"
)

var errMethodNotAllowed = &fosite.RFC6749Error{
	ErrorField:       "invalid_request",
	DescriptionField: "The HTTP method is not allowed on this endpoint.",
	CodeField:        http.StatusMethodNotAllowed,
}

// Token is the token endpoint (RFC 6749 §3.2): authorization_code,
// refresh_token, client_credentials, the token exchange of personal
// access tokens (RFC 8693, grants.PATExchange) and the device code (RFC
// 8628, grants.DeviceCode), with client_secret_basic,
// client_secret_post, private_key_jwt or none. POST /oauth2/token; OPTIONS
// answers CORS preflights.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.acceptCORSPost(w, r) {
		return
	}

	switch grant := r.PostForm.Get("grant_type"); {
	case grant == "":
		s.writeJSONError(ctx, w, r, fosite.ErrInvalidRequest.WithHint("The grant_type parameter is missing."))
		return
	case !slices.Contains(fositestore.SupportedGrants, grant):
		// fosite answers an unknown grant with invalid_request; RFC 6749
		// §5.2 names it unsupported_grant_type.
		s.writeJSONError(ctx, w, r, errUnsupportedGrant)
		return
	}

	// The token exchange reads audience and resource itself (grants.PATExchange).
	var targets []string
	var targetErr error
	if r.PostForm.Get("grant_type") != GrantTypeTokenExchange {
		targets, targetErr = tokens.TakeTargets(r.PostForm, r.Form)
	}
	// The DPoP proof (RFC 9449 §4.3) is checked before fosite reads the
	// grant, which uses up a code's PKCE record even when it then fails.
	s.offerNonce(w)
	proof, err := s.checkProof(ctx, r, s.cfg.Issuer+pathToken, "", "")
	if err == nil && proof == nil {
		err = s.proofRequired(ctx, r)
	}
	if err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	ar, err := s.provider.NewAccessRequest(ctx, r, fositestore.NewSession())
	if err != nil {
		if errors.Is(err, fosite.ErrInactiveToken) && r.PostForm.Get("grant_type") == "refresh_token" {
			s.metrics.RefreshReuse() // fosite revoked the family
		}
		s.writeJSONError(ctx, w, r, tokenError(err))
		return
	}
	clientID := ar.GetClient().GetID()
	if targetErr != nil {
		s.writeJSONError(ctx, w, r, targetErr)
		return
	}
	switch {
	case ar.GetGrantTypes().ExactOne("client_credentials"):
		err = s.grantClientCredentials(ar, targets)
	case ar.GetGrantTypes().ExactOne("refresh_token"):
		if err = s.reloadForRefresh(ctx, ar); err == nil {
			err = tokens.NarrowAudience(ar, targets)
		}
	case ar.GetGrantTypes().ExactOne("authorization_code"), ar.GetGrantTypes().ExactOne(GrantTypeDeviceCode):
		err = tokens.NarrowAudience(ar, targets)
	}
	if err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	// RFC 9449 §5: a DPoP proof binds the tokens to its key.
	if err := bindToProof(ar, proof); err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	// The ID token is signed with the alg the client registered.
	var idAlg string
	if c, ok := ar.GetClient().(*fositestore.Client); ok {
		idAlg = c.IDTokenSignedResponseAlg()
	}
	ctx = tokens.WithIDTokenAlg(ctx, idAlg)
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		if errors.Is(err, fositestore.ErrRotationLost) {
			s.metrics.RefreshReuse()
			err = s.revokeRacedFamily(ctx, ar, err)
		}
		s.writeJSONError(ctx, w, r, tokenError(err))
		return
	}
	// RFC 6749 §7.1 makes the type case-insensitive, but clients compare it
	// exactly; fosite answers "bearer" on some grants.
	resp.SetTokenType("Bearer")
	if proof != nil {
		resp.SetTokenType(TokenTypeDPoP)
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
	s.metrics.TokenIssued(r.PostForm.Get("grant_type"), clientID)
}

// revokeRacedFamily ends the grant of a refresh that lost the rotation to a
// concurrent one with the same token, outside a grace period: under strict
// rotation that is reuse (RFC 9700 §4.14.2), as it is for a racer arriving
// after the winner committed, which fosite revokes itself. Revoking here,
// after fosite rolled the losing transaction back, makes the outcome of a
// race the same however the racers interleave. It returns the error to
// answer: lost (invalid_grant), or a server error if revoking failed.
func (s *Server) revokeRacedFamily(ctx context.Context, ar fosite.AccessRequester, lost error) error {
	id := ar.GetID()
	if err := errors.Join(s.adapter.RevokeRefreshToken(ctx, id), s.adapter.RevokeAccessToken(ctx, id)); err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebugf("revoke the family of a raced refresh token: %v", err)
	}
	return lost
}

// userScopes mean nothing without a user and are not granted to
// client_credentials.
var userScopes = []string{"openid", "profile", "email", "offline_access", "groups"}

// grantClientCredentials grants what fosite validated against the client's
// registration (its scopes) and the targets it asked for: fosite's handler
// checks but does not grant. With no target the client's audiences apply
// (tokens.Audience).
func (s *Server) grantClientCredentials(ar fosite.AccessRequester, targets []string) error {
	allowed := ar.GetClient().GetAudience()
	if err := tokens.CheckTargets(allowed, targets); err != nil {
		return err
	}
	for _, sc := range ar.GetRequestedScopes() {
		if !slices.Contains(userScopes, sc) {
			ar.GrantScope(sc)
		}
	}
	for _, a := range tokens.Audience(ar.GetClient(), targets) {
		ar.GrantAudience(a)
	}
	sess := ar.GetSession().(*fositestore.Session)
	id := ar.GetClient().GetID()
	sess.Subject = id
	sess.ClientID = id
	return nil
}

// parseForm reads a form body of at most textcheck.MaxBody: too large is 413,
// malformed is 400, both as invalid_request.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, textcheck.MaxBody)
	if err := r.ParseForm(); err != nil {
		if mbe := new(http.MaxBytesError); errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		return fosite.ErrInvalidRequest.WithHint("The request body is not a valid form.").WithWrap(err)
	}
	return nil
}

// clientIDOf is the client a token, revocation or introspection request
// names, before it is authenticated: only used to pick CORS headers.
func clientIDOf(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(id); err == nil {
			return u
		}
		return id
	}
	return r.PostForm.Get("client_id")
}
