package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/oauth/fositestore"
)

// Signed request objects (RFC 9101, OIDC Core §6.1), by value: the
// authorization request's request parameter.
//
// They are verified here, before fosite sees the request, and not by
// fosite's own request object support (authorizeRequestParametersFrom-
// OpenIDConnectRequest): fosite unions the object's scope with the
// query's (RFC 9101 §5 says only the object's count, and the consent page
// would show fewer scopes than are granted), checks neither iss, aud nor
// jti and does not require exp, accepts alg none when the client's alg is
// none, knows no EdDSA, turns non-string claims into Go's %s of them, and
// fetches a request_uri from wherever it points. Once verified, the
// object's parameters replace the request's form, so fosite, the pages
// and the parked request all see exactly the parameters that apply.

// maxRequestObject bounds a request object's compact serialization.
const maxRequestObject = 16 << 10

// maxRequestObjectLifetime bounds how far ahead a request object's exp may
// be: its jti is remembered until then.
const maxRequestObjectLifetime = time.Hour

// RequestObjectAlgs are the algorithms a request object may be signed
// with (discovery's request_object_signing_alg_values_supported). none
// and the HMAC algorithms are never accepted: an HMAC key would be the
// client secret, which public clients lack and this server keeps hashed.
var RequestObjectAlgs = clients.RequestObjectAlgs

var requestObjectJOSEAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

// jwtClaims are the request object's JWT claims (RFC 9101 §4, RFC 7519
// §4.1): checked, never authorization parameters.
var jwtClaims = []string{"iss", "aud", "exp", "nbf", "iat", "jti", "sub"}

// requestObjectError is an invalid_request_object: sent to the client when
// the redirect URI is valid, shown on a page otherwise.
func requestObjectError(hint string) *unsupportedParam {
	return &unsupportedParam{
		err:    fosite.ErrInvalidRequestObject.WithHint(hint),
		detail: "The application's signed request (the request object) could not be accepted: " + hint,
	}
}

// expandRequestObject verifies a request parameter and, when it holds,
// replaces r's form with the object's parameters (RFC 9101 §5). It
// returns nil when there is no request object and none is required, or
// when the object was accepted; otherwise the request parameter is removed
// (the outer query then decides whether the redirect URI is valid) and the
// error is returned. A storage failure is returned as err.
func (s *Server) expandRequestObject(ctx context.Context, r *http.Request) (*unsupportedParam, error) {
	clientID := r.Form.Get("client_id")
	if !r.Form.Has("request") {
		if clientID == "" {
			return nil, nil
		}
		c, err := s.clients.Get(ctx, clientID)
		if err != nil {
			// fosite answers the unknown client (or the outage).
			return nil, nil //nolint:nilerr
		}
		if c.Registration().RequireSignedRequestObject {
			return &unsupportedParam{
				err:    fosite.ErrInvalidRequest.WithHint("This client must send its authorization parameters in a signed request object (require_signed_request_object, RFC 9101 §10.5)."),
				detail: "This application must send a signed request object (the request parameter), and did not.",
			}, nil
		}
		return nil, nil
	}
	raw := r.Form.Get("request")
	r.Form.Del("request")
	if r.PostForm != nil {
		r.PostForm.Del("request")
	}
	if r.Form.Has("request_uri") {
		// OIDC Core §6.1: at most one of them.
		return &unsupportedParam{
			err:    fosite.ErrInvalidRequest.WithHint("The request and request_uri parameters must not both be sent."),
			detail: "The application sent both a request object and a request_uri; at most one is allowed.",
		}, nil
	}
	if clientID == "" {
		// RFC 9101 §5: client_id stays in the query.
		return &unsupportedParam{
			err:    fosite.ErrInvalidRequest.WithHint("client_id must be sent as a query parameter beside the request object (RFC 9101 §5)."),
			detail: "The application sent a request object without its client_id beside it.",
		}, nil
	}
	c, err := s.clients.Get(ctx, clientID)
	if err != nil {
		if fositestore.StorageFailed(err) {
			return nil, err
		}
		// Unknown client: fosite answers it with a page.
		return requestObjectError("The client is not known."), nil
	}
	params, perr, err := s.verifyRequestObject(ctx, c, raw)
	if err != nil || perr != nil {
		return perr, err
	}
	// RFC 9101 §5: only the object's parameters are used. OIDC Core §6.1
	// keeps client_id and response_type (and scope) in the query, so that
	// the request is a valid OAuth 2.0 request; the object's
	// response_type must match the query's, and where the object names
	// no response_type or scope the query's apply.
	if q, o := r.Form.Get("response_type"), params.Get("response_type"); q != "" && o != "" && q != o {
		return requestObjectError("The request object's response_type differs from the query's (OIDC Core §6.1)."), nil
	}
	for _, k := range []string{"response_type", "scope"} {
		if !params.Has(k) && r.Form.Has(k) {
			params.Set(k, r.Form.Get(k))
		}
	}
	params.Set("client_id", clientID)
	r.Form = params
	if r.PostForm != nil {
		r.PostForm = url.Values{}
	}
	return nil, nil
}

// verifyRequestObject checks raw's signature against the client's keys and
// its claims (RFC 9101 §6.3, §4; OIDC Core §6.3.2), records its jti
// against replay and returns the authorization parameters it carries.
func (s *Server) verifyRequestObject(ctx context.Context, c *fositestore.Client, raw string) (url.Values, *unsupportedParam, error) {
	reg := c.Registration()
	if len(raw) > maxRequestObject {
		return nil, requestObjectError(fmt.Sprintf("The request object is larger than %d bytes.", maxRequestObject)), nil
	}
	if strings.Count(raw, ".") != 2 {
		// Encrypted (five parts) or not a JWS at all.
		return nil, requestObjectError("The request object must be a signed JWT in compact serialization; encrypted request objects are not supported."), nil
	}
	jws, err := jose.ParseSignedCompact(raw, requestObjectJOSEAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, requestObjectError("The request object is not a JWT signed with " + strings.Join(RequestObjectAlgs, ", ") + " (alg none and HMAC are refused)."), nil
	}
	hdr := jws.Signatures[0].Header
	if want := reg.RequestObjectSigningAlg; want != "" && hdr.Algorithm != want {
		return nil, requestObjectError(fmt.Sprintf("The request object is signed with %s; this client registered request_object_signing_alg %s.", hdr.Algorithm, want)), nil
	}
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != "" {
		t := strings.TrimPrefix(strings.ToLower(typ), "application/")
		if t != "oauth-authz-req+jwt" && t != "jwt" {
			// RFC 9101 §10.8: another kind of JWT is not a request object.
			return nil, requestObjectError("The request object's typ must be oauth-authz-req+jwt (RFC 9101 §4)."), nil
		}
	}
	payload, perr := s.verifyRequestObjectSignature(ctx, c, jws, hdr)
	if perr != nil {
		return nil, perr, nil
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, requestObjectError("The request object's payload is not a JSON object."), nil
	}
	exp, perr := s.checkRequestObjectClaims(reg.ID, claims)
	if perr != nil {
		return nil, perr, nil
	}
	params := url.Values{}
	for k, v := range claims {
		if slices.Contains(jwtClaims, k) {
			continue
		}
		if k == "request" || k == "request_uri" {
			return nil, requestObjectError("A request object must not contain request or request_uri (RFC 9101 §4)."), nil
		}
		if !setParam(params, k, v) {
			return nil, requestObjectError(fmt.Sprintf("The request object's %s is not a valid parameter value.", k)), nil
		}
	}
	if cid := params.Get("client_id"); params.Has("client_id") && cid != reg.ID {
		return nil, requestObjectError("The request object's client_id differs from the query's (RFC 9101 §5)."), nil
	}
	jti := claims["jti"].(string) // checkRequestObjectClaims: a non-empty string
	if err := s.adapter.RememberRequestObject(ctx, reg.ID, jti, exp); err != nil {
		if errors.Is(err, fosite.ErrJTIKnown) {
			return nil, requestObjectError("The request object was already used (its jti is known)."), nil
		}
		return nil, nil, err
	}
	return params, nil, nil
}

// verifyRequestObjectSignature verifies jws with the client's registered
// jwks or, failing that, its jwks_uri (fetched like private_key_jwt's,
// through the guarded outbound client; refetched once when the kid is
// unknown, as after the client rotated its keys).
func (s *Server) verifyRequestObjectSignature(ctx context.Context, c *fositestore.Client, jws *jose.JSONWebSignature, hdr jose.Header) ([]byte, *unsupportedParam) {
	set := c.GetJSONWebKeys()
	uri := c.GetJSONWebKeysURI()
	if set == nil && uri == "" {
		return nil, requestObjectError("The client has no registered keys (jwks or jwks_uri) to verify the request object with.")
	}
	for attempt := range 2 {
		if set == nil || attempt == 1 {
			if uri == "" {
				break
			}
			fetched, err := s.jwks.Resolve(ctx, uri, attempt == 1)
			if err != nil {
				return nil, requestObjectError("The client's JSON Web Key Set (jwks_uri) could not be fetched.")
			}
			set = fetched
		}
		matched := false
		for _, k := range set.Keys {
			if hdr.KeyID != "" && k.KeyID != hdr.KeyID || k.Use != "" && k.Use != "sig" ||
				k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
				continue
			}
			matched = true
			if payload, err := jws.Verify(k.Public().Key); err == nil {
				return payload, nil
			}
		}
		if matched {
			return nil, requestObjectError("The request object's signature does not verify with the client's keys.")
		}
		if hdr.KeyID == "" {
			break
		}
	}
	if hdr.KeyID != "" {
		return nil, requestObjectError(fmt.Sprintf("The client has no key with kid %q for %s.", hdr.KeyID, hdr.Algorithm))
	}
	return nil, requestObjectError("The client has no key for " + hdr.Algorithm + ".")
}

// checkRequestObjectClaims checks iss, aud, exp, nbf, iat and jti (RFC
// 9101 §4, §6.3; RFC 7519 §4.1) and returns exp.
func (s *Server) checkRequestObjectClaims(clientID string, claims map[string]any) (time.Time, *unsupportedParam) {
	now := s.now()
	if iss, _ := claims["iss"].(string); iss != clientID {
		return time.Time{}, requestObjectError("The request object's iss must be the client_id.")
	}
	if !audienceHas(claims["aud"], s.cfg.Issuer) {
		return time.Time{}, requestObjectError("The request object's aud must be this server's issuer, " + s.cfg.Issuer + ".")
	}
	exp, ok := numericDate(claims["exp"])
	switch {
	case !ok:
		return time.Time{}, requestObjectError("The request object must have an exp.")
	case !now.Before(exp):
		return time.Time{}, requestObjectError("The request object has expired.")
	case exp.After(now.Add(maxRequestObjectLifetime)):
		return time.Time{}, requestObjectError(fmt.Sprintf("The request object's exp is more than %v ahead.", maxRequestObjectLifetime))
	}
	for _, k := range []string{"nbf", "iat"} {
		v, present := claims[k]
		if !present {
			continue
		}
		t, ok := numericDate(v)
		if !ok {
			return time.Time{}, requestObjectError("The request object's " + k + " is not a NumericDate.")
		}
		if t.Unix() > now.Unix() {
			return time.Time{}, requestObjectError("The request object is not valid yet (" + k + " is in the future).")
		}
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		return time.Time{}, requestObjectError("The request object must have a jti.")
	}
	return exp, nil
}

func audienceHas(aud any, issuer string) bool {
	switch a := aud.(type) {
	case string:
		return a == issuer
	case []any:
		for _, v := range a {
			if s, _ := v.(string); s == issuer {
				return true
			}
		}
	}
	return false
}

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// setParam adds claim k's value to params as an authorization parameter:
// strings as they are, numbers and booleans as their JSON text, arrays of
// strings as repeated values (resource, RFC 8707), objects (claims, OIDC
// Core §5.5) as JSON.
func setParam(params url.Values, k string, v any) bool {
	switch x := v.(type) {
	case string:
		params.Set(k, x)
	case json.Number:
		params.Set(k, x.String())
	case bool:
		params.Set(k, fmt.Sprint(x))
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return false
			}
			params.Add(k, s)
		}
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			return false
		}
		params.Set(k, string(b))
	default:
		return false
	}
	return true
}
