package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/discovery"
	"github.com/ostiary/ostiary/provider/dpop"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
	"github.com/ostiary/ostiary/storage"
)

// Userinfo is the UserInfo endpoint (OIDC Core §5.3), GET or POST
// /oauth2/userinfo with the access token in the Authorization header or,
// for POST, the form body (RFC 6750 §2.1, §2.2). Claims follow the granted
// scopes and are read fresh; errors carry WWW-Authenticate (RFC 6750 §3).
func (s *Server) Userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch r.Method {
	case http.MethodOptions:
		s.preflight(w, r, "GET, POST, OPTIONS")
		return
	case http.MethodGet, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		s.writeJSONError(ctx, w, r, errMethodNotAllowed)
		return
	}
	token, scheme, err := accessToken(w, r)
	if err != nil {
		s.corsForAnyClient(w, r)
		s.bearerError(w, http.StatusBadRequest, "invalid_request", fault.Message(err, "the request is malformed"))
		return
	}
	if token == "" {
		s.corsForAnyClient(w, r)
		// RFC 6750 §3.1: no error code when the request had no token.
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.cfg.Issuer+`"`)
		s.writeUserinfoError(w, http.StatusUnauthorized, "invalid_request", "An access token is required.")
		return
	}
	use, ar, err := s.provider.IntrospectToken(ctx, token, fosite.AccessToken, fositestore.NewSession())
	if fositestore.StorageFailed(err) {
		// The token may well be valid: a 5xx, not invalid_token.
		s.writeJSONError(ctx, w, r, err)
		return
	}
	if err != nil || use != fosite.AccessToken {
		s.corsForAnyClient(w, r)
		s.bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
		return
	}
	s.corsForClient(w, r, ar.GetClient().GetID())
	if !s.checkUserinfoProof(w, r, ar, token, scheme) {
		return
	}
	if !ar.GetGrantedScopes().Has("openid") {
		s.bearerError(w, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
		return
	}
	sess, ok := ar.GetSession().(*fositestore.Session)
	if !ok {
		s.bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token has no user.")
		return
	}
	u, err := s.store.GetUser(ctx, sess.GetSubject())
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		s.bearerError(w, http.StatusUnauthorized, "invalid_token", "The user of this access token no longer exists or is disabled.")
		return
	}
	if err != nil {
		s.writeJSONError(ctx, w, r, fosite.ErrServerError.WithWrap(err).WithDebug("userinfo: load user"))
		return
	}
	claims := tokens.UserClaims(u, ar.GetGrantedScopes())
	claims["sub"] = u.ID
	role := ""
	if sess.OrgID != "" {
		m, err := s.store.GetMembership(ctx, sess.OrgID, u.ID)
		switch {
		case err == nil:
			claims[fositestore.ClaimOrgID], claims[fositestore.ClaimOrgName], claims[fositestore.ClaimOrgRole] = m.OrgID, m.OrgName, m.Role
			role = m.Role
		case !errors.Is(err, storage.ErrNotFound):
			s.writeJSONError(ctx, w, r, fosite.ErrServerError.WithWrap(err).WithDebug("userinfo: load membership"))
			return
		}
	}
	// The groups scope: every membership, read fresh like the rest, and the
	// active organization's role when the user is still its member.
	if ar.GetGrantedScopes().Has(tokens.ScopeGroups) {
		ms, err := s.store.ListMembershipsByUser(ctx, u.ID)
		if err != nil {
			s.writeJSONError(ctx, w, r, fosite.ErrServerError.WithWrap(err).WithDebug("userinfo: load memberships"))
			return
		}
		claims[fositestore.ClaimGroups] = tokens.Groups(ms)
		if role != "" {
			claims[fositestore.ClaimOrgRoles] = []string{role}
		}
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(claims)
}

// accessToken finds the access token and how it came: the Authorization
// header (Bearer, RFC 6750 §2.1, or DPoP, RFC 9449 §7.1), or a POST form
// field (a bearer token). Sending it both ways is an error (RFC 6750 §2);
// the URI query method (§2.3) is not supported.
func accessToken(w http.ResponseWriter, r *http.Request) (token, scheme string, err error) {
	var header string
	scheme = "Bearer"
	if auth := r.Header.Get("Authorization"); auth != "" {
		sch, tok, ok := strings.Cut(auth, " ")
		switch {
		case !ok || strings.TrimSpace(tok) == "":
			return "", "", fault.New(fault.Invalid, "the Authorization header must be Bearer <token> or DPoP <token>")
		case strings.EqualFold(sch, "Bearer"):
		case strings.EqualFold(sch, TokenTypeDPoP):
			scheme = TokenTypeDPoP
		default:
			return "", "", fault.New(fault.Invalid, "the Authorization header must be Bearer <token> or DPoP <token>")
		}
		header = strings.TrimSpace(tok)
	}
	if r.Method != http.MethodPost {
		return header, scheme, nil
	}
	if err := parseForm(w, r); err != nil {
		return "", "", fault.New(fault.Invalid, "the request body is not a valid form")
	}
	body := r.PostForm.Get("access_token")
	if header != "" && body != "" {
		return "", "", fault.New(fault.Invalid, "the access token was sent more than one way")
	}
	if header != "" {
		return header, scheme, nil
	}
	return body, scheme, nil
}

// checkUserinfoProof holds a request to its token's DPoP binding (RFC 9449
// §7): a bound token comes with the DPoP scheme and a proof by its key for
// this request and this token (ath); a bearer token never comes as DPoP.
// It answers the refusal with a DPoP challenge (§7.1) and reports false.
func (s *Server) checkUserinfoProof(w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, token, scheme string) bool {
	ctx := r.Context()
	sess, _ := ar.GetSession().(*fositestore.Session)
	jkt := ""
	if sess != nil {
		jkt = sess.DPoPJKT
	}
	switch {
	case jkt == "" && scheme == TokenTypeDPoP:
		s.dpopError(w, "invalid_token", "The access token is not DPoP-bound: send it as a Bearer token.")
		return false
	case jkt == "":
		// A bearer token: a proof beside it proves nothing and is ignored.
		return true
	case scheme != TokenTypeDPoP:
		// §7.2: a DPoP-bound token is refused as a bearer token.
		s.dpopError(w, "invalid_token", "The access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof.")
		return false
	}
	if len(r.Header.Values(dpop.Header)) == 0 {
		s.dpopError(w, "invalid_dpop_proof", "A DPoP proof is required with a DPoP-bound access token.")
		return false
	}
	s.offerNonce(w)
	_, err := s.checkProof(ctx, r, s.cfg.Issuer+discovery.PathUserinfo, token, jkt)
	var rfc *fosite.RFC6749Error
	switch {
	case errors.As(err, &rfc) && rfc.ErrorField == errUseDPoPNonce.ErrorField:
		s.dpopError(w, "use_dpop_nonce", "The DPoP proof must carry the nonce of the DPoP-Nonce header.")
		return false
	case errors.As(err, &rfc) && rfc.ErrorField == errInvalidDPoPProof.ErrorField:
		s.dpopError(w, "invalid_dpop_proof", rfc.HintField)
		return false
	case err != nil:
		s.writeJSONError(ctx, w, r, err)
		return false
	}
	return true
}

// dpopError answers with a DPoP challenge (RFC 9449 §7.1) and a JSON body.
func (s *Server) dpopError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("WWW-Authenticate", `DPoP realm="`+s.cfg.Issuer+`", error="`+code+`", error_description="`+desc+
		`", algs="`+strings.Join(dpop.Algorithms, " ")+`"`)
	s.writeUserinfoError(w, http.StatusUnauthorized, code, desc)
}

// bearerError answers with an RFC 6750 §3 challenge and a JSON body.
func (s *Server) bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.cfg.Issuer+`", error="`+code+`", error_description="`+desc+`"`)
	s.writeUserinfoError(w, status, code, desc)
}

func (s *Server) writeUserinfoError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
