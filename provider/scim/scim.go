package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/provisioning"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/storage"
)

// BasePath is where the SCIM service is mounted; each organization's
// service is at BasePath/{org id}.
const BasePath = "/scim/v2"

// MediaType is the SCIM media type (RFC 7644 §3.1).
const MediaType = "application/scim+json"

// The schema and message URIs of RFC 7643 and RFC 7644.
const (
	SchemaUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	SchemaError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaList         = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// MaxResults is the most resources one list answers (RFC 7644 §3.4.2.4:
// a larger count is lowered to it); ServiceProviderConfig says so.
const MaxResults = 200

// Handler serves every organization's SCIM service.
type Handler struct {
	Service *provisioning.Service
	// Issuer is the provider's issuer URL; resource locations start with
	// it.
	Issuer string
	// Base is the issuer's path prefix ("" at the root).
	Base   string
	Logger *slog.Logger
	// Proxies tells the client's address for the audit log.
	Proxies clientip.Resolver
}

// route is one operation: Path is relative to BasePath/{org}.
type route struct {
	Method string
	Path   string
	handle func(h *Handler, w http.ResponseWriter, r *http.Request, c call) error
}

// call is an authenticated request of one organization's SCIM client.
type call struct {
	org   string
	actor accounts.Actor
}

func routes() []route {
	return []route{
		{"GET", "/ServiceProviderConfig", (*Handler).serviceProviderConfig},
		{"GET", "/ResourceTypes", (*Handler).resourceTypes},
		{"GET", "/ResourceTypes/{id}", (*Handler).resourceType},
		{"GET", "/Schemas", (*Handler).schemas},
		{"GET", "/Schemas/{id}", (*Handler).schema},

		{"GET", "/Users", (*Handler).listUsers},
		{"POST", "/Users", (*Handler).createUser},
		{"GET", "/Users/{id}", (*Handler).getUser},
		{"PUT", "/Users/{id}", (*Handler).replaceUser},
		{"PATCH", "/Users/{id}", (*Handler).patchUser},
		{"DELETE", "/Users/{id}", (*Handler).deleteUser},

		{"GET", "/Groups", (*Handler).listGroups},
		{"POST", "/Groups", (*Handler).createGroup},
		{"GET", "/Groups/{id}", (*Handler).getGroup},
		{"PUT", "/Groups/{id}", (*Handler).replaceGroup},
		{"PATCH", "/Groups/{id}", (*Handler).patchGroup},
		{"DELETE", "/Groups/{id}", (*Handler).deleteGroup},
	}
}

// Routes is every pattern the handler answers, relative to the mux it is
// mounted on, for the provider's route test.
func (h *Handler) Routes() []string {
	var out []string
	for _, rt := range routes() {
		out = append(out, rt.Method+" "+h.Base+BasePath+"/{org}"+rt.Path)
	}
	return out
}

// Handle returns the SCIM service as one http.Handler; mount it at
// Base + BasePath + "/".
func (h *Handler) Handle() http.Handler {
	mux := http.NewServeMux()
	prefix := h.Base + BasePath + "/{org}"
	allow := map[string][]string{}
	for _, rt := range routes() {
		mux.HandleFunc(rt.Method+" "+prefix+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			h.serve(w, r, rt)
		})
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	paths := http.NewServeMux()
	for path, methods := range allow {
		paths.HandleFunc(prefix+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			h.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Detail: "The method is not allowed on this endpoint."})
		})
	}
	mux.HandleFunc(h.Base+BasePath+"/", func(w http.ResponseWriter, r *http.Request) {
		if ph, pattern := paths.Handler(r); pattern != "" {
			ph.ServeHTTP(w, r)
			return
		}
		h.writeError(w, r, &Error{Status: http.StatusNotFound, Detail: "No such SCIM endpoint."})
	})
	return mux
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt route) {
	c, err := h.authenticate(w, r)
	if err == nil {
		err = rt.handle(h, w, r, c)
	}
	if err != nil {
		h.writeError(w, r, err)
	}
}

// authenticate checks the bearer token (RFC 6750 §2.1) against the
// organization's SCIM token.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (call, error) {
	org := r.PathValue("org")
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	challenge := `Bearer realm="SCIM"`
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", challenge)
		return call{}, &Error{Status: http.StatusUnauthorized, Detail: "The organization's SCIM token is required as a bearer token."}
	}
	if err := h.Service.Authenticate(r.Context(), org, tok); err != nil {
		if errors.Is(err, provisioning.ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", challenge+`, error="invalid_token"`)
			return call{}, &Error{Status: http.StatusUnauthorized, Detail: "The SCIM token is not this organization's, or was revoked."}
		}
		return call{}, err
	}
	return call{org: org, actor: provisioning.Actor(org, h.Proxies.ClientIP(r))}, nil
}

// Error is a SCIM error response (RFC 7644 §3.12).
type Error struct {
	Status int
	// ScimType is one of the §3.12 detail error keywords, where one applies.
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail) }

func invalid(scimType, format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, a...)}
}

// writeError answers err in the RFC 7644 §3.12 shape: a client's mistake
// is a 4xx with what to correct, anything else a 500 (or 503) with the
// details in the log only.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var f *fault.Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, provisioning.ErrMutability):
		fe, _ := fault.From(err)
		e = &Error{Status: http.StatusBadRequest, ScimType: "mutability", Detail: fe.Message}
	case errors.As(err, &f):
		e = &Error{Detail: f.Message}
		switch f.Kind {
		case fault.Invalid:
			e.Status, e.ScimType = http.StatusBadRequest, "invalidValue"
		case fault.Forbidden:
			e.Status = http.StatusForbidden
		case fault.NotFound:
			e.Status = http.StatusNotFound
		case fault.Conflict:
			e.Status = http.StatusConflict
			if errors.Is(err, provisioning.ErrConflict) {
				e.ScimType = "uniqueness"
			}
		default:
			e.Status = http.StatusInternalServerError
		}
	case errors.Is(err, storage.ErrNotFound):
		e = &Error{Status: http.StatusNotFound, Detail: "Not found."}
	case errors.Is(err, storage.ErrAlreadyExists):
		e = &Error{Status: http.StatusConflict, ScimType: "uniqueness", Detail: "It exists already."}
	case errors.Is(err, storage.ErrConflict):
		e = &Error{Status: http.StatusConflict, Detail: "The change conflicts with the organization's state."}
	case errors.Is(err, storage.ErrUnavailable):
		w.Header().Set("Retry-After", storage.RetryAfterUnavailable)
		e = &Error{Status: http.StatusServiceUnavailable, Detail: "The service is unavailable; try again shortly."}
	default:
		h.Logger.ErrorContext(r.Context(), "scim: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Detail: "Internal error."}
	}
	if e.Status >= 500 && e.Status != http.StatusServiceUnavailable {
		h.Logger.ErrorContext(r.Context(), "scim: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	body := map[string]any{"schemas": []string{SchemaError}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.ScimType != "" {
		body["scimType"] = e.ScimType
	}
	writeJSON(w, e.Status, body)
}

// WriteInvalid answers a request refused before it reached the service
// (text that is not UTF-8, a NUL) with a 400 invalidValue in the RFC 7644
// §3.12 shape.
func WriteInvalid(w http.ResponseWriter, detail string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"schemas": []string{SchemaError}, "status": "400",
		"scimType": "invalidValue", "detail": detail})
}

// writeJSON writes v as application/scim+json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"schemas":["`+SchemaError+`"],"status":"500","detail":"Internal error."}`)
	}
	w.Header().Set("Content-Type", MediaType+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readJSON reads the request's JSON object, capped at textcheck.MaxBody,
// with every attribute name lowercased (RFC 7643 §2.1: they are
// case-insensitive).
func readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != MediaType && mt != "application/json") {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Detail: "The body must be " + MediaType + "."}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, textcheck.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The body is larger than %d bytes.", textcheck.MaxBody)}
		}
		return nil, invalid("invalidSyntax", "The body could not be read.")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, invalid("invalidSyntax", "The body is not JSON.")
	}
	m, ok := lowerKeys(v).(map[string]any)
	if !ok {
		return nil, invalid("invalidSyntax", "The body must be a JSON object.")
	}
	return m, nil
}

// lowerKeys copies v with every object member name lowercased.
func lowerKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[strings.ToLower(k)] = lowerKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = lowerKeys(e)
		}
		return out
	}
	return v
}

// location is the absolute URL of a resource of the organization.
func (h *Handler) location(org, kind, id string) string {
	return strings.TrimSuffix(h.Issuer, "/") + BasePath + "/" + org + "/" + kind + "/" + id
}
