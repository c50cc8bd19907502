package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/provider/oauth/tokens"
)

// Errors the package answers with that fosite lacks or words differently.
var (
	errUnsupportedGrant = fosite.ErrUnsupportedGrantType.WithHint("Supported grant types are authorization_code, refresh_token, client_credentials, " + GrantTypeTokenExchange + " and " + GrantTypeDeviceCode + ".")
	errBodyTooLarge     = &fosite.RFC6749Error{
		ErrorField:       "invalid_request",
		DescriptionField: "The request body is too large.",
		CodeField:        http.StatusRequestEntityTooLarge,
	}
)

// grantRaceErrors are what a lost race or a replay surfaces as inside
// fosite: it wraps them as server_error (code redemption) or as
// invalid_request (refresh rotation), but for the client they mean the
// grant is spent: invalid_grant (RFC 6749 §5.2).
var grantRaceErrors = []error{
	fosite.ErrInvalidatedAuthorizeCode,
	fosite.ErrInactiveToken,
	fosite.ErrSerializationFailure,
	fosite.ErrNotFound,
}

// tokenError maps fosite's token endpoint errors to what the client gets.
func tokenError(err error) error {
	if fositestore.StorageFailed(err) {
		return err
	}
	// A target refused while the tokens are made (tokens, target.go) reaches here
	// wrapped as server_error by fosite.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if t, ok := e.(*fosite.RFC6749Error); ok && t.ErrorField == tokens.ErrInvalidTarget.ErrorField {
			return t
		}
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	switch rfc.ErrorField {
	case "server_error", "invalid_request", "error":
		for _, e := range grantRaceErrors {
			if errors.Is(err, e) {
				return fosite.ErrInvalidGrant.WithWrap(err).
					WithHint("The authorization code or refresh token was already used, revoked or expired.")
			}
		}
	}
	return err
}

// writeJSONError writes an OAuth error body (RFC 6749 §5.2). Server errors
// are logged with their cause and answered without it.
func (s *Server) writeJSONError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	rfc := s.publicError(ctx, err)
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
		s.clientAuthFailed(ctx, r, err)
	}
	if rfc.CodeField == http.StatusUnauthorized && rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
		// RFC 6749 §5.2: a client that tried the Authorization header gets
		// the challenge for the scheme it used.
		if _, _, ok := r.BasicAuth(); ok {
			h.Set("WWW-Authenticate", `Basic realm="`+s.cfg.Issuer+`", charset="UTF-8"`)
		}
	}
	setRetryAfter(h, rfc.CodeField)
	body, merr := json.Marshal(rfc)
	if merr != nil {
		body = []byte(`{"error":"server_error"}`)
	}
	w.WriteHeader(rfc.CodeField)
	_, _ = w.Write(body)
}

// publicError turns err into the RFC 6749 error a client may see: never a
// debug message, never an unnamed error.
func (s *Server) publicError(ctx context.Context, err error) *fosite.RFC6749Error {
	rfc := fosite.ErrorToRFC6749Error(err).WithExposeDebug(false)
	// A failed database is checked first, wherever fosite wrapped it.
	if unavailableNow(err) {
		s.log.ErrorContext(ctx, "oauth: database unavailable", "error", rfc.ErrorField, "cause", err)
		return errUnavailable.WithExposeDebug(false)
	}
	if fositestore.StorageFailed(err) || rfc.CodeField >= http.StatusInternalServerError || rfc.ErrorField == "error" || rfc.ErrorField == "" {
		s.log.ErrorContext(ctx, "oauth: request failed", "error", rfc.ErrorField, "debug", rfc.Debug(), "cause", err)
		return fosite.ErrServerError.WithExposeDebug(false)
	}
	s.log.DebugContext(ctx, "oauth: request refused", "error", rfc.ErrorField, "hint", rfc.HintField, "debug", rfc.Debug())
	return rfc
}

// writeAuthorizeError redirects an error to the client (RFC 6749 §4.1.2.1)
// with state and iss (RFC 9207 §2). Only for requests whose client and
// redirect URI were validated.
func (s *Server) writeAuthorizeError(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	rfc := s.publicError(ctx, err)
	values := rfc.ToValues()
	if st := ar.GetState(); st != "" {
		values.Set("state", st)
	}
	values.Set("iss", s.cfg.Issuer)
	redirect := *ar.GetRedirectURI()
	redirect.Fragment = ""
	if ar.GetResponseMode() == fosite.ResponseModeFormPost {
		writeFormPost(w, &redirect, values)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	q := redirect.Query()
	for k, v := range values {
		q[k] = v
	}
	redirect.RawQuery = q.Encode()
	h.Set("Location", redirect.String())
	w.WriteHeader(http.StatusSeeOther)
}
