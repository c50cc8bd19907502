package adminapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/storage"
)

// Error codes of the API: stable, documented in openapi.yaml.
const (
	CodeInvalidRequest = "invalid_request"
	CodeUnauthorized   = "unauthorized"
	CodeForbidden      = "forbidden"
	CodeNotFound       = "not_found"
	CodeConflict       = "conflict"
	CodeInternal       = "internal"
	CodeUnavailable    = "unavailable"
)

// apiError is an error with its code and status, for the response.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, message string) error {
	return &apiError{status: status, code: code, message: message}
}

func badRequest(message string) error {
	return errorf(http.StatusBadRequest, CodeInvalidRequest, message)
}

// ErrorBody is the one error shape: {"error":{"code":..., "message":...}}.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// kindStatus answers each kind of user-facing failure (provider/fault).
var kindStatus = map[fault.Kind]struct {
	status int
	code   string
}{
	fault.Invalid:   {http.StatusBadRequest, CodeInvalidRequest},
	fault.Forbidden: {http.StatusForbidden, CodeForbidden},
	fault.NotFound:  {http.StatusNotFound, CodeNotFound},
	fault.Conflict:  {http.StatusConflict, CodeConflict},
}

// storageFaults are what a storage sentinel means to a caller when no rule
// said more; the store's own words are not for callers.
var storageFaults = []struct {
	err   error
	fault *fault.Error
}{
	{storage.ErrNotFound, fault.New(fault.NotFound, "What the request names does not exist.")},
	{storage.ErrAlreadyExists, fault.New(fault.Conflict, "It exists already.")},
	{storage.ErrConflict, fault.New(fault.Conflict, "The change conflicts with the current state; read it again and retry.")},
}

// notFound is a fault.NotFound that is also storage.ErrNotFound, as the
// store's own would be.
func notFound(message string) error {
	return fault.Wrap(fault.NotFound, storage.ErrNotFound, message)
}

// classify maps an error to its status, code and message: the one place
// the API turns errors into answers. A fault error brings its kind and
// message; anything unknown is internal, with details only in the log.
func classify(err error) (int, string, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code, ae.message
	case errors.Is(err, storage.ErrUnavailable):
		return http.StatusServiceUnavailable, CodeUnavailable, "The database cannot serve the request now; try again shortly."
	}
	f, ok := fault.From(err)
	for _, sf := range storageFaults {
		if !ok && errors.Is(err, sf.err) {
			f, ok = sf.fault, true
		}
	}
	if ok {
		if ks, known := kindStatus[f.Kind]; known {
			return ks.status, ks.code, f.Message
		}
	}
	return http.StatusInternalServerError, CodeInternal, "The server failed to process the request."
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, code, msg := classify(err)
	if status >= http.StatusInternalServerError && log != nil {
		log.ErrorContext(r.Context(), "adminapi: request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", storage.RetryAfterUnavailable)
	}
	var b ErrorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
