package adminapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/oauth"
	"github.com/ostiary/ostiary/provider/textcheck"
)

// BasePath is where the API lives, under the issuer's path.
const BasePath = "/admin/api/v1"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI is the API's OpenAPI 3 document.
func OpenAPI() []byte { return openAPI }

// Authenticator checks a bearer token; *oauth.Server is one. It returns
// (wrapped) oauth.ErrNotAdminToken for a token that is not a live access
// token and oauth.ErrInsufficientScope for one that may not use the API.
type Authenticator interface {
	AdminPrincipal(ctx context.Context, raw string) (oauth.Principal, error)
}

// Handler serves the API.
type Handler struct {
	Service *Service
	Auth    Authenticator
	// Issuer names the realm of WWW-Authenticate challenges.
	Issuer string
	Logger *slog.Logger
	// Base is the issuer's path prefix ("" at the root).
	Base string
	// Proxies tells the caller's address for the audit log; the zero
	// value trusts no proxy.
	Proxies clientip.Resolver
}

// mux builds the API's own mux from the route table, every pattern under
// Base + BasePath.
func (h *Handler) mux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes() {
		rt := rt
		mux.HandleFunc(rt.Method+" "+h.Base+BasePath+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			h.serve(w, r, rt)
		})
	}
	// A known path with another method is 405 with Allow, an unknown path
	// 404, both in the API's error shape (the mux's own answers are text).
	allow := map[string][]string{}
	for _, rt := range routes() {
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	paths := http.NewServeMux()
	for path, methods := range allow {
		paths.HandleFunc(h.Base+BasePath+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, r, h.Logger, errorf(http.StatusMethodNotAllowed, CodeInvalidRequest, "The method is not allowed on this route."))
		})
	}
	mux.HandleFunc(h.Base+BasePath+"/", func(w http.ResponseWriter, r *http.Request) {
		if ph, pattern := paths.Handler(r); pattern != "" {
			ph.ServeHTTP(w, r)
			return
		}
		writeError(w, r, h.Logger, errorf(http.StatusNotFound, CodeNotFound, "No such API route."))
	})
	return mux
}

// Handle returns the API as one http.Handler, its mux built once; mount it
// at Base + BasePath + "/".
func (h *Handler) Handle() http.Handler { return h.mux() }

// principalKey carries the caller in the request context.
type principalKey struct{}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt route) {
	if !rt.Public {
		p, err := h.authenticate(w, r)
		if err != nil {
			writeError(w, r, h.Logger, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	}
	if err := rt.handle(h, w, r); err != nil {
		writeError(w, r, h.Logger, err)
	}
}

// authenticate answers 401 with an RFC 6750 challenge for a missing or
// dead token, 403 for one without the scope.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (oauth.Principal, error) {
	realm := `Bearer realm="` + h.Issuer + `"`
	auth := r.Header.Get("Authorization")
	if auth == "" {
		w.Header().Set("WWW-Authenticate", realm)
		return oauth.Principal{}, errorf(http.StatusUnauthorized, CodeUnauthorized, "An access token with scope "+oauth.ScopeAdmin+" is required.")
	}
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_request"`)
		return oauth.Principal{}, errorf(http.StatusUnauthorized, CodeUnauthorized, "The Authorization header must be Bearer <token>.")
	}
	p, err := h.Auth.AdminPrincipal(r.Context(), strings.TrimSpace(tok))
	switch {
	case errors.Is(err, oauth.ErrNotAdminToken):
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
		return p, errorf(http.StatusUnauthorized, CodeUnauthorized, "The access token is invalid, expired or revoked.")
	case errors.Is(err, oauth.ErrInsufficientScope):
		w.Header().Set("WWW-Authenticate", realm+`, error="insufficient_scope", scope="`+oauth.ScopeAdmin+`"`)
		return p, errorf(http.StatusForbidden, CodeForbidden, "The access token does not allow administration (scope "+oauth.ScopeAdmin+").")
	case err != nil:
		return p, err
	}
	return p, nil
}

// actor is who the audit log names for a call: the user, or the client
// acting for itself.
func (h *Handler) actor(r *http.Request) accounts.Actor {
	p, _ := r.Context().Value(principalKey{}).(oauth.Principal)
	id := p.Subject
	if !p.User {
		id = accounts.ClientActor(p.ClientID)
	}
	return accounts.Actor{ID: id, IP: h.Proxies.ClientIP(r)}
}

// decode reads a JSON body strictly: unknown fields are an error, so a
// misspelt field is not silently ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, textcheck.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return badRequest("A JSON request body is required.")
		}
		return badRequest("The request body is not valid JSON for this operation: " + err.Error())
	}
	if dec.More() {
		return badRequest("The request body has more than one JSON value.")
	}
	return nil
}

func (h *Handler) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(openAPI)
	return err
}
