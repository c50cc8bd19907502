package page

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/storage"
)

// JSONError is the body of a refused JSON call: the sentence to show the
// person, as the pages' error text would be.
type JSONError struct {
	Error string `json:"error"`
}

// WriteJSON answers v as JSON with status, never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// JSON is h for a page's script (the passkey calls): the same form reading
// and CSRF token as the page's forms, and errors answered as JSONError with
// the status the error page would have had, instead of a page. A form that
// cannot be read (too large) is answered as JSON too when the script asks
// for JSON (Accept: application/json).
func (s *Site) JSON(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := h(w, r); err != nil {
			return s.jsonError(w, r, err)
		}
		return nil
	}
}

// wantsJSON reports whether the caller is a page's script.
func wantsJSON(r *http.Request) bool { return r.Header.Get("Accept") == "application/json" }

func (s *Site) jsonError(w http.ResponseWriter, r *http.Request, err error) error {
	status, msg := http.StatusInternalServerError, "The server could not finish this request. Try again in a moment."
	var pe *Error
	switch {
	case errors.As(err, &pe):
		status, msg = pe.Status, pe.Title+". "+pe.Detail
		if pe.Err != nil {
			s.logger.WarnContext(r.Context(), "page call refused", "path", r.URL.Path, "status", pe.Status, "err", pe.Err)
		}
	case errors.Is(err, browser.ErrCSRF):
		s.logger.InfoContext(r.Context(), "page call refused", "path", r.URL.Path, "err", err)
		status, msg = http.StatusForbidden, "This page has expired. Reload it and try again."
	case errors.Is(err, storage.ErrUnavailable):
		s.logger.ErrorContext(r.Context(), "page call failed: database unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", storage.RetryAfterUnavailable)
		status, msg = http.StatusServiceUnavailable, "The server cannot reach its database right now. Try again in a moment."
	case fault.KindOf(err) != 0:
		f, _ := fault.From(err)
		s.logger.InfoContext(r.Context(), "page call refused", "path", r.URL.Path, "err", err)
		status, msg = faultPages[f.Kind].status, f.Message
	default:
		s.logger.ErrorContext(r.Context(), "page call failed", "path", r.URL.Path, "err", err)
	}
	return WriteJSON(w, status, JSONError{Error: msg})
}
