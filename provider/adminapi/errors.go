package adminapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
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

// retryAfterSeconds is the Retry-After of a 503: the database may be back
// after a restart or failover.
const retryAfterSeconds = "2"

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

// classify maps an error to its status, code and message. The rules'
// sentinel errors carry messages meant for the caller; anything unknown is
// internal, with details only in the log.
func classify(err error) (int, string, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code, ae.message
	case errors.Is(err, storage.ErrUnavailable):
		return http.StatusServiceUnavailable, CodeUnavailable, "The database cannot serve the request now; try again shortly."
	case errors.Is(err, ErrInvalid), errors.Is(err, accounts.ErrInvalid), errors.Is(err, connectors.ErrInvalid),
		errors.Is(err, orgsso.ErrNotVerified):
		return http.StatusBadRequest, CodeInvalidRequest, err.Error()
	case errors.Is(err, accounts.ErrForbidden):
		return http.StatusForbidden, CodeForbidden, err.Error()
	case errors.Is(err, storage.ErrNotFound):
		return http.StatusNotFound, CodeNotFound, err.Error()
	case errors.Is(err, accounts.ErrLastOwner), errors.Is(err, storage.ErrAlreadyExists), errors.Is(err, storage.ErrConflict),
		errors.Is(err, connectors.ErrStatic), errors.Is(err, ErrConnectorInUse):
		return http.StatusConflict, CodeConflict, err.Error()
	}
	return http.StatusInternalServerError, CodeInternal, "The server failed to process the request."
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, code, msg := classify(err)
	if status >= http.StatusInternalServerError && log != nil {
		log.ErrorContext(r.Context(), "adminapi: request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds)
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
