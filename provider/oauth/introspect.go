package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
)

// Introspect is the introspection endpoint (RFC 7662), POST
// /oauth2/introspect. Only an authenticated confidential client may ask:
// fosite's own introspection request accepts any valid bearer token as
// authentication, which would let any token holder probe tokens.
func (s *Server) Introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.writeJSONError(ctx, w, r, errMethodNotAllowed)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	s.clients.RefreshIfSecretDiffers(r)
	if !hasClientCredentials(r) {
		// RFC 7662 §2.1: the endpoint requires authorization.
		w.Header().Set("WWW-Authenticate", `Basic realm="`+s.cfg.Issuer+`", charset="UTF-8"`)
		s.writeJSONError(ctx, w, r, fosite.ErrInvalidClient.WithHint("Client authentication is required."))
		return
	}
	cl, err := s.provider.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	if cl.IsPublic() {
		s.writeJSONError(ctx, w, r, fosite.ErrInvalidClient.WithHint("Public clients may not introspect tokens."))
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		s.writeJSONError(ctx, w, r, fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
		return
	}
	if pat.Looks(token) {
		body, err := s.introspectPAT(ctx, token)
		if err != nil {
			s.writeJSONError(ctx, w, r, err)
			return
		}
		writeIntrospection(w, body)
		return
	}
	hint := fosite.TokenUse(r.PostForm.Get("token_type_hint"))
	use, ar, err := s.provider.IntrospectToken(ctx, token, hint, fositestore.NewSession())
	body := map[string]any{"active": false}
	if fositestore.StorageFailed(err) {
		// Not knowing is not "inactive": a resource server would turn a
		// valid token away for the length of an outage.
		s.writeJSONError(ctx, w, r, err)
		return
	}
	if err != nil {
		// Revoked, expired, unknown or malformed are all just inactive
		// (RFC 7662 §2.2); the reason stays in the log.
		s.log.DebugContext(ctx, "oauth: introspection: inactive token", "error", err)
	} else {
		body = introspection(s.cfg.Issuer, use, ar)
	}
	writeIntrospection(w, body)
}

func writeIntrospection(w http.ResponseWriter, body map[string]any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(body)
}

// introspectPAT answers for a personal access token (RFC 7662 §2.2):
// active while it exists, is unexpired and its user may sign in. It has
// no client; token_type names it by the URI the token exchange uses.
// Looking it up is not a use: last-used stays as it was.
func (s *Server) introspectPAT(ctx context.Context, token string) (map[string]any, error) {
	inactive := map[string]any{"active": false}
	p, err := s.store.GetPATByHash(ctx, pat.Hash(token), s.now())
	if errors.Is(err, storage.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebugf("load personal access token: %v", err)
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return inactive, nil
	}
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err).WithDebugf("load user: %v", err)
	}
	body := map[string]any{
		"active":     true,
		"iss":        s.cfg.Issuer,
		"sub":        p.UserID,
		"scope":      strings.Join(p.Scopes, " "),
		"iat":        p.CreatedAt.Unix(),
		"token_type": pat.TokenType,
		"token_use":  "personal_access_token",
	}
	if !p.ExpiresAt.IsZero() {
		body["exp"] = p.ExpiresAt.Unix()
	}
	return body, nil
}

// hasClientCredentials reports whether the request carries any form of
// client authentication (not just a client_id).
func hasClientCredentials(r *http.Request) bool {
	if _, _, ok := r.BasicAuth(); ok {
		return true
	}
	return r.PostForm.Get("client_secret") != "" || r.PostForm.Get("client_assertion") != ""
}

// introspection is the RFC 7662 §2.2 answer for an active token.
func introspection(issuer string, use fosite.TokenUse, ar fosite.AccessRequester) map[string]any {
	sess, _ := ar.GetSession().(*fositestore.Session)
	body := map[string]any{
		"active":    true,
		"iss":       issuer,
		"client_id": ar.GetClient().GetID(),
		"token_use": string(use),
	}
	if use == fosite.AccessToken {
		body["token_type"] = "Bearer"
	}
	if sc := ar.GetGrantedScopes(); len(sc) > 0 {
		body["scope"] = strings.Join(sc, " ")
	}
	if aud := ar.GetGrantedAudience(); len(aud) > 0 {
		body["aud"] = []string(aud)
	}
	if t := ar.GetRequestedAt(); !t.IsZero() {
		body["iat"] = t.Unix()
	}
	if sess == nil {
		return body
	}
	body["sub"] = sess.GetSubject()
	tt := fosite.AccessToken
	if use == fosite.RefreshToken {
		tt = fosite.RefreshToken
	}
	if exp := sess.GetExpiresAt(tt); !exp.IsZero() {
		body["exp"] = exp.Unix()
	}
	for k, v := range sess.GetExtraClaims() {
		body[k] = v
	}
	if use == fosite.AccessToken && sess.DPoPJKT != "" {
		body["token_type"] = TokenTypeDPoP // RFC 9449 §6.2
	}
	if use == fosite.RefreshToken && !ar.GetClient().IsPublic() {
		// §5.0: a confidential client's refresh token is not bound; its
		// session names the key of the last access token only.
		delete(body, "cnf")
	}
	return body
}
